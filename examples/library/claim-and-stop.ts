// examples/library/claim-and-stop.ts
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { formatGoDuration, parsePid, Pidfile, Processes, SipidLive, StopSchedule } from "sipid"

// Claims a pidfile for a worker this app starts, then stops the worker with a
// short schedule of its own.
const path = process.argv[2] ?? "/tmp/sipid-example/worker.pid"

const program = Effect.gen(function*() {
  const worker = spawn("sleep", ["600"], { stdio: "ignore" })
  const pid = yield* parsePid(String(worker.pid), yield* (yield* Processes).pidMax)
  yield* Pidfile.claim({ path, pid })
  yield* Effect.log(Pidfile.describeStatus(path, yield* Pidfile.status(path)))
  const schedule = yield* StopSchedule.parseStopSchedule("TERM/2/KILL/1")
  const stopped = yield* Pidfile.kill({ path, schedule })
  yield* Effect.log(
    Pidfile.KillOutcome.$match(stopped, {
      NoPidfile: () => "nothing to stop",
      Stale: ({ reason }) => `stale pidfile: ${reason}`,
      Stopped: ({ after, pid }) => `stopped process ${pid} after ${formatGoDuration(after)}`
    })
  )
})

program.pipe(Effect.provide(SipidLive), NodeRuntime.runMain)
