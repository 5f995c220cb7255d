/**
 * Using sipid's programs inside another Effect app: claim a pidfile for a
 * worker this app starts, then stop it with a short custom schedule.
 * Outside this repository, import from "sipid" instead of "../../src/index.js".
 * `npm run typecheck` checks this file with the project.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { parsePid, Pidfile, Processes, SipidLive, StopSchedule } from "../../src/index.js"

const path = process.argv[2] ?? "/tmp/sipid-example/worker.pid"

const program = Effect.gen(function*() {
  const worker = spawn("sleep", ["600"], { stdio: "ignore" })
  const pid = yield* parsePid(String(worker.pid), yield* (yield* Processes).pidMax)
  yield* Pidfile.claim({ path, pid })
  yield* Effect.log(Pidfile.describeStatus(path, yield* Pidfile.status(path)))
  const schedule = yield* StopSchedule.parseStopSchedule("TERM/2/KILL/1")
  yield* Pidfile.kill({ path, schedule })
})

program.pipe(Effect.provide(SipidLive), NodeRuntime.runMain)
