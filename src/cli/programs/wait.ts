/**
 * `sipid wait-until-healthy` and `wait-until-unhealthy`: check what the
 * options say together before the first request, build the targets and the
 * Transport they describe, and run the wait. main.ts loads this module only
 * for them: it is where undici and the HTTP client come in.
 */
import { Array as Arr, Duration, Effect, Either, Option } from "effect"
import { UsageError } from "../UsageError.js"
import type { TlsFileInvalid } from "../../health/errors.js"
import * as HttpLayer from "../../health/HttpLayer.js"
import { proxySettingsFromEnv } from "../../health/proxy.js"
import type { Mode } from "../../health/rounds.js"
import { type Check, type Header, type Method, Target } from "../../health/target.js"
import { loadTls, type TlsFiles } from "../../health/tls.js"
import type { Transport } from "../../health/Transport.js"
import type { StillHealthy, Unhealthy } from "../../health/verdict.js"
import { type Down, type Healthy, waitUntilHealthy, waitUntilUnhealthy } from "../../health/wait.js"
import type * as Commands from "../commands.js"
import type { Values } from "../spec.js"

/** The options' values, each already parsed on its own. */
export interface WaitInput extends TlsFiles {
  readonly urls: ReadonlyArray<URL>
  readonly tcp: ReadonlyArray<{ readonly host: string; readonly port: number }>
  readonly unixSocket: string | undefined
  readonly method: Method
  readonly headers: ReadonlyArray<Header>
  /** Every check asked for, a Status check among them. */
  readonly checks: ReadonlyArray<Check>
  readonly timeout: Duration.Duration
  readonly pollingFrequency: Duration.Duration
  readonly requestTimeout: Duration.Duration
  readonly successThreshold: number
  readonly env: Readonly<Record<string, string | undefined>>
}

/** What no single option's parser can see: the options that contradict each other, as the sentence to print. */
const conflict = (input: WaitInput): string | undefined => {
  if ((input.clientCert === undefined) !== (input.clientKey === undefined)) return "--client-cert and --client-key go together; pass both or neither"
  if (input.unixSocket !== undefined && input.urls.length === 0) {
    return "--unix-socket: it carries the requests of --url (whose host becomes the Host header); give a --url"
  }
  if (input.method === "HEAD" && input.checks.some((check) => check._tag === "Body" || check._tag === "Json")) {
    return "--expect-body and --expect-json read the body, and an answer to HEAD has none; use --method GET"
  }
  const rounds = Duration.times(input.pollingFrequency, input.successThreshold - 1)
  return Duration.lessThan(rounds, input.timeout)
    ? undefined
    : `--success-threshold ${input.successThreshold}: so many rounds, --polling-frequency apart, take longer than --timeout; raise --timeout`
}

const targetsOf = (input: WaitInput): Either.Either<Arr.NonEmptyReadonlyArray<Target>, UsageError> => {
  const targets = [
    ...input.urls.map((url) => Target.Http({ url, method: input.method, headers: input.headers, unixSocket: input.unixSocket, checks: input.checks })),
    ...input.tcp.map(({ host, port }) => Target.Tcp({ host, port }))
  ]
  return Arr.isNonEmptyReadonlyArray(targets) ? Either.right(targets) : Either.left(new UsageError({ detail: "give at least one --url or --tcp to probe" }))
}

export const run = (mode: Mode, input: WaitInput): Effect.Effect<Healthy | Down, UsageError | TlsFileInvalid | Unhealthy | StillHealthy> =>
  Effect.gen(function*() {
    const targets = yield* targetsOf(input)
    const problem = conflict(input)
    if (problem !== undefined) return yield* new UsageError({ detail: problem })
    const proxies = yield* Either.mapLeft(proxySettingsFromEnv(input.env), (detail) => new UsageError({ detail }))
    const tls = yield* loadTls(input)
    if (input.insecure) yield* Effect.logWarning("--insecure: TLS certificates are not verified; anyone on the path can answer for the endpoint")
    const settings = { ...input, targets, proxies }
    // Stryker disable next-line MethodExpression: the wait's scope closes the dispatcher, ending a connect still under way; the shorter bound only frees a stalled socket sooner
    const transport = HttpLayer.layer({ tls, proxies, connectTimeout: Duration.min(input.requestTimeout, input.timeout) })
    const wait: Effect.Effect<Healthy | Down, Unhealthy | StillHealthy, Transport> = mode === "healthy"
      ? waitUntilHealthy(settings)
      : waitUntilUnhealthy(settings)
    return yield* Effect.provide(wait, transport)
  })

const waitFor = (mode: Mode) => (options: Values<typeof Commands.waitUntilHealthy.options>) =>
  run(mode, {
    ...options,
    urls: options.url,
    headers: options.header,
    unixSocket: Option.getOrUndefined(options.unixSocket),
    checks: [options.expectStatus, ...options.expectHeader, ...Option.toArray(options.expectBody), ...options.expectJson],
    caCerts: options.caCert,
    clientCert: Option.getOrUndefined(options.clientCert),
    clientKey: Option.getOrUndefined(options.clientKey),
    env: process.env
  })

export const untilHealthy = waitFor("healthy")
export const untilUnhealthy = waitFor("unhealthy")
