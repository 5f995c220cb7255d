/**
 * wait-until-healthy as a program: probe the URL until it answers with an
 * expected status or the deadline passes. It needs only an `HttpClient`
 * (TLS, proxies and connect time-outs are the layer's business; `proxies`
 * here only names the proxy in a time-out) and the Clock, so tests drive it
 * with a scripted client under TestClock.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Clock, Duration, Effect, Option, Ref, Stream } from "effect"
import { formatGoDuration } from "../time/goDuration.js"
import { Unhealthy } from "../errors.js"
import { bodySnippet, describe, hint, ProbeFailure, type ProxyName, sameReason } from "./failure.js"
import { formatStatusRange, type StatusRange, statusInRange } from "./options.js"
import { proxyFor, proxyName, type ProxySettings } from "./proxy.js"
import { finalAnswer } from "./request.js"
import { pollUntil, probeLimit } from "./schedule.js"

export interface ProbeSettings {
  readonly url: URL
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>
  readonly expectStatus: StatusRange
  readonly timeout: Duration.Duration
  readonly pollingFrequency: Duration.Duration
  readonly requestTimeout: Duration.Duration
  /** The proxies the client sends requests through, so that a time-out names the one in between. */
  readonly proxies?: ProxySettings | undefined
}

export interface Healthy {
  readonly attempts: number
  readonly elapsed: Duration.Duration
}

/** Enough of a body for the first line a failure reason quotes. */
export const bodyPrefixBytes = 4096

/**
 * The first `bodyPrefixBytes` of a body (all of a shorter one), or as much of
 * it as arrives `within` that time: the status already answered, so a body
 * that breaks off or stalls only ends the quote. Ending the stream early
 * cancels the response: undici stops receiving and closes the connection,
 * whatever size the server announced.
 */
const readBodyPrefix = (response: HttpClientResponse.HttpClientResponse, within: Duration.Duration): Effect.Effect<string> =>
  response.stream.pipe(
    Stream.catchAll(() => Stream.empty),
    Stream.interruptAfter(within),
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
    const client = yield* HttpClient.HttpClient
    const start = yield* Clock.currentTimeMillis
    const deadline = start + Duration.toMillis(settings.timeout)
    const attempts = yield* Ref.make(0)
    /** The failure to report: the latest, unless it says nothing about the endpoint (see `observe`). */
    const lastSeen = yield* Ref.make(Option.none<ProbeFailure>())
    const elapsed = Effect.map(Clock.currentTimeMillis, (now) => Duration.millis(now - start))

    const through = (url: URL): ProxyName | undefined => {
      const proxy = settings.proxies && proxyFor(settings.proxies, url)
      return proxy && { proxy: proxyName(proxy.url), variable: proxy.variable }
    }

    const probe = Effect.gen(function*() {
      const limit = yield* probeLimit(settings.requestTimeout, deadline)
      const sent = yield* Clock.currentTimeMillis
      const inFlight = yield* Ref.make(settings.url)
      const response = yield* finalAnswer(client, settings, inFlight).pipe(
        Effect.timeout(limit),
        Effect.catchTag("TimeoutException", () =>
          Effect.flatMap(Ref.get(inFlight), (url) => Effect.fail(ProbeFailure.TimedOut({ after: limit, through: through(url) }))))
      )
      // The final status is the answer: a healthy one's body is never read (the scope's end aborts it);
      // a failing one's makes its quote, within what is left of the limit.
      if (statusInRange(settings.expectStatus, response.status)) return
      const left = Duration.toMillis(limit) - ((yield* Clock.currentTimeMillis) - sent)
      const body = yield* readBodyPrefix(response, Duration.millis(Math.max(0, left)))
      return yield* Effect.fail(ProbeFailure.BadStatus({ status: response.status, body: bodySnippet(body) }))
    }).pipe(Effect.scoped)

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
