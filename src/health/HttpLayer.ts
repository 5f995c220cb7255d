/**
 * The HttpClient that wait-until-healthy probes with: undici, with TLS
 * settings, a connect time-out, and per-origin routing to a proxy or straight
 * to the server. Importing this module loads undici, so the CLI imports it
 * only for wait-until-healthy.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Undici from "@effect/platform-node/Undici"
import { Duration, Effect, Layer, type Scope } from "effect"
import { ThroughProxy } from "./failure.js"
import { proxyFor, proxyName, type ProxySettings } from "./proxy.js"
import type { TlsOptions } from "./tls.js"

export interface HttpSettings {
  readonly tls: TlsOptions
  readonly proxies: ProxySettings
  /**
   * Bounds TCP connect plus TLS handshake. Aborting a request does not stop a
   * connection attempt in progress, and that socket would keep the process
   * alive until this time-out (undici's default is 10 s).
   */
  readonly connectTimeout: Duration.Duration
}

const scopedDispatcher = <D extends Undici.Dispatcher>(make: () => D): Effect.Effect<D, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.sync(make), (dispatcher) => Effect.promise(() => dispatcher.destroy()))

/** A dispatcher that sends each origin to its proxy or connects directly; all of it is destroyed with the scope. */
export const makeDispatcher = (settings: HttpSettings): Effect.Effect<Undici.Dispatcher, never, Scope.Scope> =>
  Effect.gen(function*() {
    const timeout = Duration.toMillis(settings.connectTimeout)
    const connect = { ...settings.tls, ca: settings.tls.ca?.slice(), timeout }
    const direct = yield* scopedDispatcher(() => new Undici.Agent({ connect }))
    // HTTP_PROXY and HTTPS_PROXY often name the same proxy: one agent per distinct URL.
    const proxyUrls = new Set([settings.proxies.http?.url.href, settings.proxies.https?.url.href].filter((href) => href !== undefined))
    const proxies = new Map(
      yield* Effect.forEach(proxyUrls, (uri) =>
        Effect.map(
          scopedDispatcher(() => new Undici.ProxyAgent({ uri, requestTls: connect, proxyTls: { ca: connect.ca, timeout } })),
          (agent) => [uri, agent] as const
        ))
    )
    return direct.compose((dispatch) => (options, handler) => {
      const proxy = options.origin === undefined ? undefined : proxyFor(settings.proxies, new URL(options.origin))
      return proxy === undefined ? dispatch(options, handler) : proxies.get(proxy.url.href)!.dispatch(options, handler)
    })
  })

/** Marks the transport errors of proxied requests (redirects included) with the proxy, for `fromHttpClientError`. */
const nameProxyInErrors = (proxies: ProxySettings) => (client: HttpClient.HttpClient): HttpClient.HttpClient =>
  HttpClient.transform(client, (send, request) => {
    const proxy = URL.canParse(request.url) ? proxyFor(proxies, new URL(request.url)) : undefined
    return proxy === undefined ? send : Effect.mapError(send, (error) =>
      error._tag === "RequestError" && error.reason === "Transport"
        ? new HttpClientError.RequestError({
          request: error.request,
          reason: error.reason,
          cause: new ThroughProxy(proxyName(proxy.url), proxy.variable, error.cause)
        })
        : error)
  })

export const layer = (settings: HttpSettings): Layer.Layer<HttpClient.HttpClient> =>
  Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, nameProxyInErrors(settings.proxies))).pipe(
    Layer.provide(NodeHttpClient.layerUndiciWithoutDispatcher),
    Layer.provide(Layer.scoped(NodeHttpClient.Dispatcher, makeDispatcher(settings)))
  )
