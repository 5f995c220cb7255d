/** `sipid wait-until-healthy` and `wait-until-unhealthy`: undici and the HTTP client are loaded only here, so other commands start faster. */
import { Effect, Option } from "effect"
import type { Mode } from "../../health/rounds.js"
import type * as Commands from "../commands.js"
import type { Values } from "../spec.js"

const waitFor = (mode: Mode) => (options: Values<typeof Commands.waitUntilHealthy.options>) =>
  Effect.gen(function*() {
    const health = yield* Effect.promise(() => import("../../health/run.js"))
    yield* health.run(mode, {
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
  })

export const untilHealthy = waitFor("healthy")
export const untilUnhealthy = waitFor("unhealthy")
