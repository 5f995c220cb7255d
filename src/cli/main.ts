/**
 * The `sipid` command line: the root command, its subcommands, and the
 * translation of every outcome into an exit code.
 */
import { Command, ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, HashMap } from "effect"
import { claimCommand } from "./commands/claim.js"
import { killCommand } from "./commands/kill.js"
import { statusCommand } from "./commands/status.js"
import { waitUntilHealthyCommand } from "./commands/waitUntilHealthy.js"
import { ExitCode } from "./exitCodes.js"
import { withHelpConsole } from "./helpConsole.js"
import { ExitStatus } from "./runCommand.js"

declare const SIPID_VERSION: string | undefined

/** Set by the bundler from package.json; "dev" when run from the sources. */
export const version = typeof SIPID_VERSION === "string" ? SIPID_VERSION : "dev"

const sipid = Command.make("sipid").pipe(
  Command.withDescription("Pidfiles for BOSH jobs under monit: claim, kill, status and health checks, done safely."),
  Command.withSubcommands([claimCommand, killCommand, statusCommand, waitUntilHealthyCommand])
)

const subcommandNames = [...HashMap.keys(Command.getSubcommands(sipid))]

const cli = Command.run(sipid, { name: "sipid", version })

/** Which standard streams are terminals: decides colours and whether the wizard may prompt. */
export interface Terminals {
  readonly stdinIsTerminal: boolean
  readonly stdoutIsTerminal: boolean
  readonly stderrIsTerminal: boolean
}

/**
 * Runs the CLI on `argv` (without node and script) and yields the exit code.
 * Usage errors are printed by @effect/cli itself; command failures by
 * `runCommand`; so nothing is printed twice.
 */
export const main = (argv: ReadonlyArray<string>, terminals: Terminals): Effect.Effect<number> => {
  // @effect/cli's wizard prompts on stdin and would hang a script forever.
  if (argv.includes("--wizard") && !terminals.stdinIsTerminal) {
    return Effect.sync(() => {
      process.stderr.write("sipid: --wizard needs an interactive terminal; see sipid --help\n")
      return ExitCode.usage
    })
  }
  return cli(["node", "sipid", ...argv]).pipe(
    Effect.as(ExitCode.ok as number),
    Effect.catchAll((error) =>
      error instanceof ExitStatus
        ? Effect.succeed(error.code)
        : ValidationError.isValidationError(error)
        ? Effect.succeed(ExitCode.usage as number)
        : // What is left comes from @effect/cli's own machinery, such as a prompt quit with Ctrl-C.
          Effect.zipRight(
          Effect.sync(() => process.stderr.write(`sipid: ${String(error)}\n`)),
          Effect.succeed(ExitCode.usage as number)
        )
    ),
    withHelpConsole(subcommandNames, terminals),
    Effect.provide(NodeContext.layer)
  )
}
