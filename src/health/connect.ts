/**
 * Opening connections for probes, over undici's connector (the one its
 * HTTP pools use, with TLS and a connect time-out): `localhost` on both
 * loopbacks, and the bare TCP connection of a `--tcp` target.
 */
import type * as Undici from "@effect/platform-node/Undici"
import { Effect } from "effect"
import { fromTransportCause, type ProbeFailure } from "./failure.js"
import { isLocalhostName } from "./proxy.js"

type Connector = Undici.buildConnector.connector

/**
 * `localhost` and its subdomains are loopback (RFC 6761), whatever the
 * resolver says: /etc/hosts often lists only 127.0.0.1, and Node >= 17 may
 * answer only ::1. So, like curl, connect to ::1 and then to 127.0.0.1,
 * asking no resolver. TLS still names the host as given. (Proxies never
 * see these names: proxy.ts sends them directly.)
 */
export const loopbackFirst = (connect: Connector): Connector => (options, callback) => {
  if (!isLocalhostName(options.hostname)) return connect(options, callback)
  connect({ ...options, hostname: "::1" }, (...[error, socket]) =>
    error === null ? callback(null, socket) : connect({ ...options, hostname: "127.0.0.1" }, callback))
}

/** Opens a TCP connection with `connect` and closes it at once; interrupted, it closes one that opens later. */
export const tcpProbe = (connect: Connector) => (host: string, port: number): Effect.Effect<void, ProbeFailure> =>
  Effect.async((resume) => {
    let abandoned = false
    connect({ hostname: host, host, protocol: "http:", port: String(port) }, (...[error, socket]) => {
      socket?.destroy()
      if (abandoned) return
      resume(error === null ? Effect.void : Effect.fail(fromTransportCause(error, error.message)))
    })
    return Effect.sync(() => {
      abandoned = true
    })
  })
