import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { describeStatus, status } from "../../pidfile/status.js"
import { describeMembers, jobMembers } from "../../pidfile/statusTree.js"
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
        const members = yield* jobMembers(current.pid)
        yield* Effect.logInfo(`job of process ${current.pid}: ${members.length} process(es): ${members.map(({ pid }) => pid).join(", ")}`)
        if (members.length > 0) yield* Console.log(describeMembers(members))
      }
      const code = statusExitCode(current)
      if (code !== 0) return yield* new ExitStatus({ code })
    }).pipe(Effect.provide(SipidLive))
  )).pipe(Command.withDescription(commandDocs.status!.summary))
