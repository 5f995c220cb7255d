/**
 * wait-until-healthy from raw command-line values: check them all before
 * the first request, build the HTTP layer they describe, and run the probe.
 * The CLI imports this module dynamically: it is where undici comes in.
 */
import { Duration, Effect, Either } from "effect"
import { type InvalidProbeSetting, type Unhealthy, UsageError } from "../errors.js"
import * as HttpLayer from "./HttpLayer.js"
import { parseHeader, parseStatusRange, parseUrl } from "./options.js"
import { type Healthy, waitUntilHealthy } from "./probe.js"
import { proxySettingsFromEnv } from "./proxy.js"
import { loadTls, type TlsFiles } from "./tls.js"

export interface WaitUntilHealthyInput extends TlsFiles {
  readonly url: string
  readonly timeout: Duration.Duration
  readonly pollingFrequency: Duration.Duration
  readonly requestTimeout: Duration.Duration
  readonly expectStatus: string
  readonly headers: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string | undefined>>
}

const positive = (option: string, duration: Duration.Duration): Either.Either<Duration.Duration, UsageError> =>
  Duration.greaterThan(duration, Duration.zero)
    ? Either.right(duration)
    : Either.left(new UsageError({ detail: `${option}: must be longer than 0` }))

const usage = <A>(option: string, parsed: Either.Either<A, InvalidProbeSetting>): Either.Either<A, UsageError> =>
  Either.mapLeft(parsed, ({ reason }) => new UsageError({ detail: `${option}: ${reason}` }))

export const run = (input: WaitUntilHealthyInput): Effect.Effect<Healthy, UsageError | Unhealthy> =>
  Effect.gen(function*() {
    const proxies = yield* Either.mapLeft(proxySettingsFromEnv(input.env), (detail) => new UsageError({ detail }))
    const settings = {
      url: yield* usage("--url", parseUrl(input.url)),
      headers: yield* Effect.forEach(input.headers, (header) => usage("--header", parseHeader(header))),
      expectStatus: yield* usage("--expect-status", parseStatusRange(input.expectStatus)),
      timeout: yield* positive("--timeout", input.timeout),
      pollingFrequency: yield* positive("--polling-frequency", input.pollingFrequency),
      requestTimeout: yield* positive("--request-timeout", input.requestTimeout),
      proxies
    }
    const tls = yield* loadTls(input)
    if (input.insecure) yield* Effect.logWarning("--insecure: TLS certificates are not verified; anyone on the path can answer for the endpoint")
    const connectTimeout = Duration.min(settings.requestTimeout, settings.timeout)
    return yield* waitUntilHealthy(settings).pipe(Effect.provide(HttpLayer.layer({ tls, proxies, connectTimeout })))
  })
