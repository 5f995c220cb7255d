/** `sipid wait-until-healthy`: undici and the HTTP client are loaded only here, so other commands start faster. */
import { Effect, Option } from "effect"
import type * as Commands from "../commands.js"
import type { Values } from "../spec.js"

export const program = (options: Values<typeof Commands.waitUntilHealthy.options>) =>
  Effect.gen(function*() {
    const health = yield* Effect.promise(() => import("../../health/run.js"))
    yield* health.run({
      ...options,
      headers: options.header,
      caCerts: options.caCert,
      clientCert: Option.getOrUndefined(options.clientCert),
      clientKey: Option.getOrUndefined(options.clientKey),
      env: process.env
    })
  })
