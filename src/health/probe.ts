/**
 * wait-until-healthy as a program: probe the URL until it answers with an
 * expected status or the deadline passes. It needs only an `HttpClient`
 * (TLS, proxies and connect time-outs are the layer's business) and the
 * Clock, so tests drive it with a scripted client under TestClock.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Clock, Duration, Effect, Option, Ref, Stream } from "effect"
import { formatGoDuration } from "../time/goDuration.js"
import { Unhealthy } from "../errors.js"
import { bodySnippet, describe, fromHttpClientError, hint, ProbeFailure, sameReason } from "./failure.js"
import { formatStatusRange, type StatusRange, statusInRange } from "./options.js"
import { pollUntil, probeLimit } from "./schedule.js"

export interface ProbeSettings {
  readonly url: URL
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>
  readonly expectStatus: StatusRange
  readonly timeout: Duration.Duration
  readonly pollingFrequency: Duration.Duration
  readonly requestTimeout: Duration.Duration
}

export interface Healthy {
  readonly attempts: number
  readonly elapsed: Duration.Duration
}

/** Go's http.Client gives up after 10 redirects too. */
const maxRedirects = 10

/** Enough of a body for the first line a failure reason quotes. */
export const bodyPrefixBytes = 4096

/**
 * The first `bodyPrefixBytes` of a body (all of a shorter one). Ending the
 * stream early cancels the response, which aborts the request: undici stops
 * receiving and closes the connection, whatever size the server announced.
 */
const readBodyPrefix = (response: HttpClientResponse.HttpClientResponse) =>
  response.stream.pipe(
    // Fetch-based clients have no body stream at all for, say, a 204.
    Stream.catchAll((error) => error.reason === "EmptyBody" ? Stream.empty : Stream.fail(error)),
    Stream.runFoldWhile(
      new Uint8Array(0),
      (prefix) => prefix.length < bodyPrefixBytes,
      (prefix, chunk) => Buffer.concat([prefix, chunk.subarray(0, bodyPrefixBytes - prefix.length)])
    ),
    Effect.map((prefix) => new TextDecoder().decode(prefix))
  )

const attemptsText = (attempts: number): string => `${attempts} attempt${attempts === 1 ? "" : "s"}`

export const waitUntilHealthy: (settings: ProbeSettings) => Effect.Effect<Healthy, Unhealthy, HttpClient.HttpClient> = Effect.fn(
  "sipid/waitUntilHealthy"
)(
  function*(settings: ProbeSettings) {
    yield* Effect.annotateCurrentSpan({ url: settings.url.href })
    const client = HttpClient.followRedirects(yield* HttpClient.HttpClient, maxRedirects)
    const request = HttpClientRequest.get(settings.url).pipe(HttpClientRequest.setHeaders(Object.fromEntries(settings.headers)))
    const start = yield* Clock.currentTimeMillis
    const deadline = start + Duration.toMillis(settings.timeout)
    const attempts = yield* Ref.make(0)
    /** The failure to report: the latest, unless it says nothing about the endpoint (see `observe`). */
    const lastSeen = yield* Ref.make(Option.none<ProbeFailure>())
    const elapsed = Effect.map(Clock.currentTimeMillis, (now) => Duration.millis(now - start))

    const probe = Effect.gen(function*() {
      const limit = yield* probeLimit(settings.requestTimeout, deadline)
      const { body, status } = yield* client.execute(request).pipe(
        // The body's start, within the limit: a server that stalls before it is not healthy.
        Effect.flatMap((response) => Effect.map(readBodyPrefix(response), (body) => ({ status: response.status, body }))),
        Effect.mapError(fromHttpClientError),
        Effect.timeoutFail({ duration: limit, onTimeout: () => ProbeFailure.TimedOut({ after: limit }) })
      )
      if (!statusInRange(settings.expectStatus, status)) {
        return yield* Effect.fail(ProbeFailure.BadStatus({ status, body: bodySnippet(body) }))
      }
    })

    // A probe started just before the deadline gets a time limit the deadline
    // cut short; its time-out is the deadline's doing, not the endpoint's, and
    // must not hide the reason seen before it (say, an untrusted certificate).
    const cutByDeadline = (failure: ProbeFailure) =>
      failure._tag === "TimedOut" && Duration.lessThan(failure.after, settings.requestTimeout)

    const observe = (failure: ProbeFailure) =>
      Effect.gen(function*() {
        const previous = yield* Ref.get(lastSeen)
        if (cutByDeadline(failure) && Option.exists(previous, (seen) => seen._tag !== "TimedOut")) return
        yield* Ref.set(lastSeen, Option.some(failure))
        if (Option.exists(previous, (seen) => sameReason(seen, failure))) return
        yield* Effect.logInfo(`not healthy yet (attempt ${yield* Ref.get(attempts)}): ${describe(failure)}`)
      })

    yield* Effect.logInfo(
      `waiting for ${settings.url.href} to answer ${formatStatusRange(settings.expectStatus)}, ` +
        `probing every ${formatGoDuration(settings.pollingFrequency)} for up to ${formatGoDuration(settings.timeout)}`
    )
    yield* Ref.update(attempts, (n) => n + 1).pipe(
      Effect.zipRight(probe),
      Effect.tapError(observe),
      Effect.retry(pollUntil(settings.pollingFrequency, deadline)),
      Effect.catchAll((last) =>
        Effect.gen(function*() {
          const failure = Option.getOrElse(yield* Ref.get(lastSeen), () => last)
          const advice = hint(failure)
          return yield* new Unhealthy({
            url: settings.url.href,
            summary: `not healthy after ${attemptsText(yield* Ref.get(attempts))} (${formatGoDuration(yield* elapsed)}): ` +
              `last failure: ${describe(failure)}${advice === undefined ? "" : `; ${advice}`}`
          })
        })
      )
    )
    const healthy: Healthy = { attempts: yield* Ref.get(attempts), elapsed: yield* elapsed }
    yield* Effect.logInfo(`healthy after ${attemptsText(healthy.attempts)} (${formatGoDuration(healthy.elapsed)})`)
    return healthy
  }
)
