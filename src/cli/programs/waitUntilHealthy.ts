/** `sipid wait-until-healthy`; main.ts loads this module only for it, and with it undici and the HTTP client. */
import { Option } from "effect"
import { run } from "../../health/run.js"
import type * as Commands from "../commands.js"
import type { Values } from "../spec.js"

export const program = (options: Values<typeof Commands.waitUntilHealthy.options>) =>
  run({
    ...options,
    headers: options.header,
    caCerts: options.caCert,
    clientCert: Option.getOrUndefined(options.clientCert),
    clientKey: Option.getOrUndefined(options.clientKey),
    env: process.env
  })
