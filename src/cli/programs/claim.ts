import { Command, Options } from "@effect/cli"
import { Effect, Either } from "effect"
import { UsageError } from "../../errors.js"
import { claim } from "../../pidfile/claim.js"
import { parsePid } from "../../process/Pid.js"
import { Processes } from "../../process/Processes.js"
import { SipidLive } from "../../SipidLive.js"
import { runCommand } from "../runCommand.js"
import { commandDocs } from "../docs.js"
import { documented, logFormat, pidFile } from "../sharedOptions.js"

const pid = Options.text("pid").pipe(Options.withPseudoName("PID"), documented)

export const claimCommand = Command.make("claim", { pid, pidFile, logFormat }, (options) =>
  runCommand(
    { command: "claim", pidfile: options.pidFile, logFormat: options.logFormat },
    Effect.gen(function*() {
      const pidMax = yield* (yield* Processes).pidMax
      const parsed = yield* Either.mapLeft(parsePid(options.pid, pidMax), (error) => new UsageError({ detail: `--pid: ${error.message}` }))
      yield* claim({ path: options.pidFile, pid: parsed })
    }).pipe(Effect.provide(SipidLive))
  )).pipe(Command.withDescription(commandDocs.claim!.summary))
