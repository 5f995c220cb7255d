import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { describeStatus, status } from "../../pidfile/status.js"
import { describeJob, describeMembers, jobMembers } from "../../pidfile/statusTree.js"
import { SipidLive } from "../../SipidLive.js"
import { statusExitCode } from "../exitCodes.js"
import { ExitStatus, runCommand } from "../runCommand.js"
import { commandDocs } from "../docs.js"
import { logFormat, pidFile } from "../sharedOptions.js"

const tree = Options.boolean("tree").pipe(
  Options.withDescription("Also list the processes of the job, one per line: what kill --tree would stop now")
)

export const statusCommand = Command.make("status", { pidFile, tree, logFormat }, (options) =>
  runCommand(
    { command: "status", pidfile: options.pidFile, logFormat: options.logFormat },
    Effect.gen(function*() {
      const current = yield* status(options.pidFile)
      yield* Console.log(describeStatus(options.pidFile, current))
      if (options.tree && current._tag === "Running") {
        const job = yield* jobMembers(current.pid, { pidfileOwner: current.owner })
        const line = describeJob(current.pid, current.owner, job)
        yield* job.leftOut.length === 0 ? Effect.logInfo(line) : Effect.logWarning(line)
        if (job.members.length > 0) yield* Console.log(describeMembers(job.members))
      }
      const code = statusExitCode(current)
      if (code !== 0) return yield* new ExitStatus({ code })
    }).pipe(Effect.provide(SipidLive))
  )).pipe(Command.withDescription(commandDocs.status!.summary))
