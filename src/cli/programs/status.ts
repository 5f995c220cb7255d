/** `sipid status`: one line on stdout, LSB exit codes; with --tree, the job's members too. */
import { Console, Effect, Either } from "effect"
import { describeStatus, status } from "../../pidfile/status.js"
import { describeJob, describeMembers, type JobMembers, jobMembers, staleJobMembers } from "../../pidfile/statusTree.js"
import type { Pid } from "../../process/Pid.js"
import { SipidLive } from "../../SipidLive.js"
import type * as Commands from "../commands.js"
import { statusExitCode } from "../exitCodes.js"
import { ExitStatus } from "../runCommand.js"
import type { Values } from "../spec.js"

/** The job's log line, and one line per member on stdout. */
const showJob = (pid: Pid, owner: number, job: JobMembers) =>
  Effect.gen(function*() {
    const line = describeJob(pid, owner, job)
    yield* job.leftOut.length === 0 ? Effect.logInfo(line) : Effect.logWarning(line)
    if (job.members.length > 0) yield* Console.log(describeMembers(job.members))
  })

export const program = (options: Values<typeof Commands.status.options>) =>
  Effect.gen(function*() {
    const current = yield* status(options.pidFile)
    yield* Console.log(describeStatus(options.pidFile, current))
    if (options.tree && current._tag === "Running") {
      yield* showJob(current.pid, current.owner, yield* jobMembers(current.pid, { pidfileOwner: current.owner }))
    }
    if (options.tree && current._tag === "Stale") {
      const job = yield* staleJobMembers(options.pidFile, current.pid, { pidfileOwner: current.owner })
      yield* Either.isRight(job)
        ? showJob(current.pid, current.owner, job.right)
        : Effect.logInfo(`nothing of process ${current.pid}'s job for kill --tree to stop: ${job.left}`)
    }
    const code = statusExitCode(current)
    if (code !== 0) return yield* new ExitStatus({ code })
  }).pipe(Effect.provide(SipidLive))
