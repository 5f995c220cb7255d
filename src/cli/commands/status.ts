import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { describeStatus, status } from "../../pidfile/status.js"
import { SipidLive } from "../../SipidLive.js"
import { statusExitCode } from "../exitCodes.js"
import { ExitStatus, runCommand } from "../runCommand.js"
import { commandDocs } from "../docs.js"
import { logFormat, pidFile } from "../sharedOptions.js"

export const statusCommand = Command.make("status", { pidFile, logFormat }, (options) =>
  runCommand(
    { command: "status", pidfile: options.pidFile, logFormat: options.logFormat },
    Effect.gen(function*() {
      const current = yield* status(options.pidFile)
      yield* Console.log(describeStatus(options.pidFile, current))
      const code = statusExitCode(current)
      if (code !== 0) return yield* new ExitStatus({ code })
    }).pipe(Effect.provide(SipidLive))
  )).pipe(Command.withDescription(commandDocs.status!.summary))
