/**
 * The `sipid` command line: reads argv against the spec (commands.ts),
 * answers help, the version and usage errors itself, and runs the command
 * it names. Each command's program is loaded only when it runs, so a claim
 * evaluates neither the HTTP stack nor @effect/cli.
 */
import { type Deferred, Effect } from "effect"
import { OsError, OsSubject } from "../os/OsError.js"
import { writeStderr, writeStdout } from "../log/output.js"
import * as Commands from "./commands.js"
import { ExitCode, type StopSignal } from "./exitCodes.js"
import { commandHelp, shortUsage, topHelp } from "./help.js"
import { ownArguments, requestedLogFormat, Route, route } from "./parse.js"
import { type CommandRun, reportUsageError, runCommand } from "./runCommand.js"
import type { CommandSpec, Options, Values } from "./spec.js"

declare const SIPID_VERSION: string | undefined

/** Set by the bundler from package.json; "dev" when run from the sources. */
export const version = typeof SIPID_VERSION === "string" ? SIPID_VERSION : "dev"

/** What the CLI needs of the process it runs in. */
export interface CliProcess {
  /** Whether stdin is a terminal: the wizard may prompt only on one. */
  readonly stdinIsTerminal: boolean
  /** Done with the first stop signal the process receives (see stopSignals.ts). */
  readonly stopSignal: Deferred.Deferred<StopSignal>
}

/** A command's program, given its options' values and the whole command line (`run --background` starts a copy of it). */
type Program<O extends Options> = (values: Values<O>, argv: ReadonlyArray<string>) => CommandRun

/**
 * A command of the spec with the program that runs it, loaded when it runs.
 * A module that cannot be loaded (a file of the npm install missing or
 * damaged) is one line saying so, not a stack trace.
 */
const runner = <O extends Options>(spec: CommandSpec<O>, load: () => Promise<{ readonly program: Program<O> }>) => ({
  spec,
  run: (values: Readonly<Record<string, unknown>>, argv: ReadonlyArray<string>) =>
    Effect.tryPromise({
      try: load,
      catch: (cause) =>
        new OsError({
          operation: "load",
          subject: OsSubject.File({ path: `sipid's ${spec.name} code` }),
          code: String((cause as NodeJS.ErrnoException)?.code ?? "ELOAD"),
          // Node's message goes on with the require stack.
          detail: String((cause as Error)?.message ?? cause).split("\n")[0]!,
          hint: "the installation is incomplete: reinstall sipid",
          cause
        })
    }).pipe(
      // The parser decoded `values` with this very spec.
      Effect.flatMap(({ program }) => program(values as Values<O>, argv))
    )
})

const runners = [
  runner(Commands.claim, () => import("./programs/claim.js")),
  runner(Commands.kill, () => import("./programs/kill.js")),
  runner(Commands.status, () => import("./programs/status.js")),
  runner(Commands.run, () => import("./programs/run.js")),
  runner(Commands.waitUntilHealthy, async () => ({ program: (await import("./programs/wait.js")).untilHealthy })),
  runner(Commands.waitUntilUnhealthy, async () => ({ program: (await import("./programs/wait.js")).untilUnhealthy }))
]

const print = (write: (text: string) => void, text: string, code: number) =>
  Effect.sync(() => {
    write(text)
    return code
  })

/** What the log lines of a run need from its values: every command has --log-format; all but wait-until-healthy --pid-file. */
const logContextOf = (values: Readonly<Record<string, unknown>>) => ({
  logFormat: values["logFormat"] === "json" ? "json" as const : "text" as const,
  pidfile: typeof values["pidFile"] === "string" ? values["pidFile"] : undefined
})

/**
 * Runs the CLI on `argv` (without node and script) and yields the exit code.
 * sipid answers no arguments, help, the version and malformed command lines
 * itself; @effect/cli only completion scripts and the wizard.
 */
export const main = (argv: ReadonlyArray<string>, cli: CliProcess): Effect.Effect<number> => {
  const logFormat = requestedLogFormat(argv)
  return Route.$match(route(argv, Commands.commands), {
    ShortUsage: () => print(writeStderr, shortUsage(Commands.commands), ExitCode.usage),
    Version: () => print(writeStdout, `${version}\n`, ExitCode.ok),
    Help: ({ command }) => {
      const spec = Commands.commands.find(({ name }) => name === command)
      return print(writeStdout, spec === undefined ? topHelp(Commands.commands, version) : commandHelp(spec), ExitCode.ok)
    },
    Invalid: ({ command, problem }) => reportUsageError(command, problem, logFormat),
    // @effect/cli's wizard prompts on stdin and would hang a script forever.
    BuiltIn: ({ command }) =>
      ownArguments(argv).includes("--wizard") && !cli.stdinIsTerminal
        ? reportUsageError(command, "--wizard needs an interactive terminal", logFormat)
        : Effect.flatMap(
          Effect.promise(() => import("./effectCli.js")),
          ({ runBuiltIn }) => runBuiltIn({ argv, command, commands: Commands.commands, version, logFormat, run: (line) => main(line, cli) })
        ),
    Run: ({ command, logLevel, values }) => {
      const { run, spec } = runners.find(({ spec }) => spec.name === command)!
      return runCommand({ command: spec.name, logLevel, stopSignal: cli.stopSignal, ...logContextOf(values) }, run(values, argv))
    }
  })
}
