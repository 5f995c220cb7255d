// examples/library/health-gate.ts
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Duration, Effect } from "effect"
import { Check, describeProbeFailure, HealthHttp, Target, waitUntilHealthy } from "sipid/health"

// Waits until an app answers {"status":"UP"} and its database port accepts
// connections, for up to two minutes; the other settings keep their defaults.
const ready = waitUntilHealthy({
  targets: [
    Target.Http({ url: new URL("http://localhost:8080/health"), checks: [Check.Json({ path: "status", value: "UP" })] }),
    Target.Tcp({ host: "127.0.0.1", port: 5432 })
  ],
  timeout: Duration.minutes(2)
})

ready.pipe(
  // The failures are data: each target's name and its last ProbeFailure.
  Effect.catchTag("Unhealthy", ({ failures }) =>
    Effect.logError(failures.map(({ failure, target }) => `${target}: ${describeProbeFailure(failure)}`).join(", "))),
  Effect.provide(HealthHttp.layer()),
  NodeRuntime.runMain
)
