/**
 * How probes reach their targets: the one service the wait programs need
 * besides the Clock. HttpLayer.ts provides it over undici (TLS, proxies,
 * unix sockets, `localhost` on both loopbacks); tests provide a script.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { Context, type Effect } from "effect"
import type { ProbeFailure } from "./failure.js"

/**
 * @since 0.2.0
 * @category services
 */
export class Transport extends Context.Tag("sipid/health/Transport")<Transport, {
  /** The client for HTTP requests: over TCP (directly or through a proxy), or over the unix socket at `unixSocket`. */
  readonly http: (unixSocket: string | undefined) => HttpClient.HttpClient
  /** Opens a TCP connection to `host` and `port`, then closes it; fails with why it could not. Interrupting it abandons the attempt. */
  readonly tcp: (host: string, port: number) => Effect.Effect<void, ProbeFailure>
}>() {}
