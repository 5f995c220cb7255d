/** `sipid wait-until-healthy` and `wait-until-unhealthy`; main.ts loads this module only for them, and with it undici and the HTTP client. */
import { Option } from "effect"
import type { Mode } from "../../health/rounds.js"
import { run } from "../../health/run.js"
import type * as Commands from "../commands.js"
import type { Values } from "../spec.js"

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
