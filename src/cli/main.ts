/**
 * The `sipid` command line: the root command, its subcommands, and the
 * translation of every outcome into an exit code.
 */
import { Command, HelpDoc, ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect } from "effect"
import { writeStderr, writeStdout } from "../log/output.js"
import { requestedLogFormat, Route, route } from "./argv.js"
import { claimCommand } from "./commands/claim.js"
import { killCommand } from "./commands/kill.js"
import { statusCommand } from "./commands/status.js"
import { waitUntilHealthyCommand } from "./commands/waitUntilHealthy.js"
import { type CommandSpec, commandSpec } from "./commandSpec.js"
import { ExitCode, signalExitCode } from "./exitCodes.js"
import { commandHelp, shortUsage, topHelp } from "./help.js"
import { ExitStatus, reportUsageError } from "./runCommand.js"

declare const SIPID_VERSION: string | undefined

/** Set by the bundler from package.json; "dev" when run from the sources. */
export const version = typeof SIPID_VERSION === "string" ? SIPID_VERSION : "dev"

const sipid = Command.make("sipid").pipe(
  Command.withSubcommands([claimCommand, killCommand, statusCommand, waitUntilHealthyCommand])
)

export const commands: ReadonlyArray<CommandSpec> = [
  commandSpec(claimCommand),
  commandSpec(killCommand),
  commandSpec(statusCommand),
  commandSpec(waitUntilHealthyCommand)
]

const cli = Command.run(sipid, { name: "sipid", version })

/** Which standard streams are terminals: the wizard may prompt only on one. */
export interface Terminals {
  readonly stdinIsTerminal: boolean
  readonly stdoutIsTerminal: boolean
  readonly stderrIsTerminal: boolean
}

const print = (write: (text: string) => void, text: string, code: number) =>
  Effect.sync(() => {
    write(text)
    return code
  })

/**
 * @effect/cli prints each parse error itself, on stderr; sipid reports it as
 * its own log line instead. Its other output (completion scripts, the wizard) stays.
 */
const withoutCliErrorOutput = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.consoleWith((console) => Effect.withConsole(effect, { ...console, error: () => Effect.void }))

const ansi = /\u001b\[[0-9;]*m/g

/** A value an option refused (`--grace 20`), as the one line @effect/cli would have printed. */
const problemOf = (error: ValidationError.ValidationError): string =>
  HelpDoc.toAnsiText(error.error).replace(ansi, "").trim().split(/\n+/).join("; ")

const runChecked = (argv: ReadonlyArray<string>, command: string | undefined, logFormat: "text" | "json") =>
  cli(["node", "sipid", ...argv]).pipe(
    Effect.as(ExitCode.ok as number),
    Effect.catchAll((error) =>
      error instanceof ExitStatus
        ? Effect.succeed(error.code)
        : ValidationError.isValidationError(error)
        ? reportUsageError(command, problemOf(error), logFormat)
        : // What is left comes from @effect/cli's own machinery, such as a prompt quit with Ctrl-C.
          reportUsageError(command, String(error), logFormat)
    ),
    withoutCliErrorOutput,
    Effect.provide(NodeContext.layer)
  )

/** What @effect/cli prints when Ctrl-C ends its wizard, which it then counts a success. */
const wizardQuit = "Quitting wizard mode"

/** The wizard, exiting 130 like any command stopped by SIGINT when Ctrl-C ends it. */
const runWizard = (argv: ReadonlyArray<string>, command: string | undefined, logFormat: "text" | "json") =>
  Effect.suspend(() => {
    let quit = false
    return Effect.consoleWith((console) =>
      Effect.withConsole(runChecked(argv, command, logFormat), {
        ...console,
        log: (...args) => {
          quit ||= args.some((arg) => String(arg).includes(wizardQuit))
          return console.log(...args)
        }
      })
    ).pipe(Effect.map((code) => (quit ? signalExitCode.SIGINT : code)))
  })

/**
 * Runs the CLI on `argv` (without node and script) and yields the exit code.
 * sipid answers no arguments, help, the version and malformed command lines
 * itself (see argv.ts); @effect/cli parses the values and runs the command.
 */
export const main = (argv: ReadonlyArray<string>, terminals: Terminals): Effect.Effect<number> => {
  const logFormat = requestedLogFormat(argv)
  return Route.$match(route(argv, commands), {
    ShortUsage: () => print(writeStderr, shortUsage(commands), ExitCode.usage),
    Version: () => print(writeStdout, `${version}\n`, ExitCode.ok),
    Help: ({ command }) => {
      const spec = commands.find(({ name }) => name === command)
      return print(writeStdout, spec === undefined ? topHelp(commands, version) : commandHelp(spec), ExitCode.ok)
    },
    Invalid: ({ command, problem }) => reportUsageError(command, problem, logFormat),
    // @effect/cli's wizard prompts on stdin and would hang a script forever.
    BuiltIn: ({ command }) =>
      !argv.includes("--wizard")
        ? runChecked(argv, command, logFormat)
        : terminals.stdinIsTerminal
        ? runWizard(argv, command, logFormat)
        : reportUsageError(command, "--wizard needs an interactive terminal", logFormat),
    Run: ({ argv, command }) => runChecked(argv, command, logFormat)
  })
}
