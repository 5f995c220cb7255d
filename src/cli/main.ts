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
import { repeatableOptions, waitUntilHealthyCommand } from "./commands/waitUntilHealthy.js"
import { writeStderr } from "../log/output.js"
import { findRepeatedOption, hoistLogLevel } from "./argv.js"
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
  const usageError = (message: string) =>
    Effect.sync(() => {
      writeStderr(`sipid: ${message}; see sipid --help\n`)
      return ExitCode.usage as number
    })
  // @effect/cli's wizard prompts on stdin and would hang a script forever.
  if (argv.includes("--wizard") && !terminals.stdinIsTerminal) return usageError("--wizard needs an interactive terminal")
  // @effect/cli reads the first of two and then misreads the next option ("Expected to find option '--pid-file'").
  const repeated = findRepeatedOption(argv, repeatableOptions)
  if (repeated !== undefined) return usageError(`${repeated} is given more than once; give it once`)
  return cli(["node", "sipid", ...hoistLogLevel(argv)]).pipe(
    Effect.as(ExitCode.ok as number),
    Effect.catchAll((error) =>
      error instanceof ExitStatus
        ? Effect.succeed(error.code)
        : ValidationError.isValidationError(error)
        ? Effect.succeed(ExitCode.usage as number)
        : // What is left comes from @effect/cli's own machinery, such as a prompt quit with Ctrl-C.
          usageError(String(error))
    ),
    withHelpConsole(subcommandNames, terminals),
    Effect.provide(NodeContext.layer)
  )
}
