/**
 * One probe of one target within a time limit: an HTTP request and the
 * checks of its answer, or a TCP connection. It needs only the Transport
 * (TLS, proxies and connect time-outs are its business; `proxies` here only
 * names the proxy in a time-out) and the Clock, so tests script it under
 * TestClock.
 */
import { Clock, Duration, Effect, Ref } from "effect"
import { checkAnswer } from "./checks.js"
import { overSocket, ProbeFailure, type ProxyName } from "./failure.js"
import { proxyFor, proxyName, type ProxySettings } from "./proxy.js"
import { finalAnswer } from "./request.js"
import { type HttpTarget, Target } from "./target.js"
import { Transport } from "./Transport.js"

const through = (proxies: ProxySettings | undefined, url: URL): ProxyName | undefined => {
  const proxy = proxies && proxyFor(proxies, url)
  return proxy && { proxy: proxyName(proxy.url), variable: proxy.variable }
}

const probeHttp = (target: HttpTarget, limit: Duration.Duration, proxies: ProxySettings | undefined) =>
  Effect.gen(function*() {
    const { checks = [], headers = [], method = "GET", unixSocket, url } = target
    const transport = yield* Transport
    const sent = yield* Clock.currentTimeMillis
    const inFlight = yield* Ref.make(url)
    const response = yield* finalAnswer(transport.http(unixSocket), { url, method, headers }, inFlight).pipe(
      Effect.timeout(limit),
      Effect.catchTag("TimeoutException", () =>
        Effect.flatMap(Ref.get(inFlight), (asked) =>
          Effect.fail(ProbeFailure.TimedOut({ after: limit, through: unixSocket === undefined ? through(proxies, asked) : undefined }))))
    )
    // What is left of the limit is the body's, when a check or a failure's quote needs it.
    const left = Duration.toMillis(limit) - ((yield* Clock.currentTimeMillis) - sent)
    yield* checkAnswer(response, checks, Duration.millis(Math.max(0, left)))
  }).pipe(
    Effect.scoped,
    Effect.mapError((failure) => (target.unixSocket === undefined ? failure : overSocket(target.unixSocket)(failure)))
  )

/** Passes when `target` is healthy within `limit`; fails with why not. */
export const probeTarget = (target: Target, limit: Duration.Duration, proxies: ProxySettings | undefined): Effect.Effect<void, ProbeFailure, Transport> =>
  Target.$match(target, {
    Http: (http) => probeHttp(http, limit, proxies),
    Tcp: ({ host, port }) =>
      Effect.flatMap(Transport, (transport) =>
        transport.tcp(host, port).pipe(Effect.timeoutFail({ duration: limit, onTimeout: () => ProbeFailure.TimedOut({ after: limit }) })))
  })
