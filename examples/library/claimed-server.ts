// examples/library/claimed-server.ts
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Duration, Effect } from "effect"
import { createServer } from "node:http"
import { Pidfile, SipidLive } from "sipid"
import { Check, HealthHttp, Target, waitUntilHealthy } from "sipid/health"

// An app that keeps its own pidfile: claimed as it starts (refused while
// another copy runs), released as it ends, SIGTERM included: runMain
// interrupts the program, which closes its scope. Before it serves, it
// waits for the service it depends on.
const [path = "/tmp/sipid-example/app.pid", dependency = "http://127.0.0.1:8080/", port = "8081"] = process.argv.slice(2)

const listening = Effect.acquireRelease(
  Effect.async<ReturnType<typeof createServer>>((resume) => {
    const server = createServer((_, response) => response.end("ok\n"))
    server.listen(Number(port), "127.0.0.1", () => resume(Effect.succeed(server)))
  }),
  (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
)

const program = Effect.gen(function*() {
  yield* Pidfile.claimScoped({ path })
  yield* waitUntilHealthy({
    targets: [Target.Http({ url: new URL(dependency), checks: [Check.Status({ accepted: [{ min: 200, max: 399 }] })] })],
    timeout: Duration.minutes(1),
    pollingFrequency: Duration.seconds(1)
  }).pipe(Effect.provide(HealthHttp.layer()))
  yield* listening
  yield* Effect.log(`serving on 127.0.0.1:${port}, pidfile ${path}`)
  return yield* Effect.never
})

program.pipe(Effect.scoped, Effect.provide(SipidLive), NodeRuntime.runMain)
