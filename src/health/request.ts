/**
 * One probe's request and the redirects it follows, as Go's http.Client
 * would: the method with the extra headers and no body, never the URL's
 * fragment (the client's business), up to 10 redirects.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Ref, type Scope } from "effect"
import { bodySnippet, fromHttpClientError, ProbeFailure } from "./failure.js"
import type { Header, Method } from "./target.js"

export const maxRedirects = 10

/**
 * Headers for the origin asked for (scheme, host and port), left out where a
 * redirect leads elsewhere: another port may be another program, and http
 * after https would send them in clear (curl's rule since CVE-2022-27776).
 */
const hostBoundHeaders = new Set(["authorization", "cookie", "host"])

/**
 * Where a redirect leads, if it can be followed: an http or https URL. A
 * Location Node cannot parse (`http://[zz`, `http://:0/`, a zone id) is a
 * failed probe, retried like any other, as in Go.
 */
const redirectTarget = (location: string, from: URL): URL | undefined => {
  const target = URL.canParse(location, from.href) ? new URL(location, from) : undefined
  return target?.protocol === "http:" || target?.protocol === "https:" ? target : undefined
}

/** Go's rule: a 301, 302 or 303 turns a POST into a GET; a 307 or 308 keeps it. */
const methodAfter = (status: number, method: Method): Method => (method === "POST" && status <= 303 ? "GET" : method)

/**
 * The final answer to a request of `url`. Every request of it is aborted when
 * the scope closes, so a body nobody reads costs nothing. `inFlight` holds
 * the URL being asked at each step, so that a time-out can name the proxy it
 * went through.
 */
export const finalAnswer = (
  client: HttpClient.HttpClient,
  asked: { readonly url: URL; readonly method: Method; readonly headers: ReadonlyArray<Header> },
  inFlight: Ref.Ref<URL>
): Effect.Effect<HttpClientResponse.HttpClientResponse, ProbeFailure, Scope.Scope> => {
  const scoped = HttpClient.withScope(client)
  const requestTo = (url: URL, method: Method) =>
    HttpClientRequest.make(method)(url).pipe(
      HttpClientRequest.removeHash,
      HttpClientRequest.setHeaders(
        Object.fromEntries(asked.headers.filter(([name]) => url.origin === asked.url.origin || !hostBoundHeaders.has(name)))
      )
    )
  const follow = (url: URL, method: Method, redirects: number): Effect.Effect<HttpClientResponse.HttpClientResponse, ProbeFailure, Scope.Scope> =>
    Effect.gen(function*() {
      yield* Ref.set(inFlight, url)
      const response = yield* Effect.mapError(scoped.execute(requestTo(url, method)), fromHttpClientError)
      const location = response.headers.location
      if (response.status < 300 || response.status >= 400 || location === undefined || redirects === maxRedirects) return response
      const target = redirectTarget(location, url)
      return yield* target === undefined
        ? Effect.fail(ProbeFailure.BadRedirect({ status: response.status, location: bodySnippet(location) }))
        : follow(target, methodAfter(response.status, method), redirects + 1)
    })
  return follow(asked.url, asked.method, 0)
}
