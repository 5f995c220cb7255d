/**
 * The edge between a command's program and the process: installs the
 * logger at the level asked for, tags log lines, reports a failure as one
 * log line and turns it into an exit code (through `exitCodeFor`, the only
 * mapping), and turns a stop signal into an orderly early stop.
 */
import { Data, Deferred, Effect, FiberRef, HashMap, Logger, LogLevel, Option } from "effect"
import type { CommandError } from "./UsageError.js"
import * as Log from "../log/logger.js"
import { reportText } from "./advice.js"
import { ExitCode, exitCodeFor, signalExitCode, type StopSignal } from "./exitCodes.js"

/** A command finished with a non-zero exit code; whatever it had to say is already printed. */
export class ExitStatus extends Data.TaggedError("ExitStatus")<{ readonly code: number }> {}

/** What a command's program may end with: a failure to report, or an exit code already explained. */
export type CommandRun = Effect.Effect<unknown, CommandError | ExitStatus>

export interface CommandContext {
  readonly command: string
  readonly pidfile?: string | undefined
  readonly logFormat: Log.LogFormat
  /** `--log-level`: the least severe line shown (@effect/cli's names); info when not given. */
  readonly logLevel?: string | undefined
  /** Done with the first stop signal the process received, even before the command started (see stopSignals.ts). */
  readonly stopSignal: Deferred.Deferred<StopSignal>
}

const levelNamed = (name: string | undefined): LogLevel.LogLevel =>
  LogLevel.allLevels.find((level) => level._tag.toLowerCase() === name) ?? LogLevel.Info

/**
 * A usage error names the option, not the pidfile, and says where help is;
 * it reads the same whether argv.ts, @effect/cli or the program found it.
 * It is printed whatever `--log-level` says: a script's mistake must show,
 * and some are found before the level is even read.
 */
const logUsageError = (command: string | undefined, problem: string) =>
  Effect.logError(`${problem}${problem.endsWith("?") ? "" : ";"} see ${command === undefined ? "sipid --help" : `sipid ${command} --help`}`).pipe(
    Effect.locally(FiberRef.currentLogAnnotations, command === undefined ? HashMap.empty() : HashMap.make(["command", command])),
    Logger.withMinimumLogLevel(LogLevel.All)
  )

/** Reports a usage error found before a command runs, in the log format asked for; yields exit code 2. */
export const reportUsageError = (command: string | undefined, problem: string, logFormat: Log.LogFormat): Effect.Effect<number> =>
  logUsageError(command, problem).pipe(Effect.as(ExitCode.usage as number), Effect.provide(Log.layer(logFormat)))

const usageErrors = new Set<CommandError["_tag"]>(["UsageError", "ClaimantInvalid", "TlsFileInvalid"])

const reportFailure = (command: string, program: CommandRun) =>
  Effect.catchIf(
    program,
    (error): error is CommandError => error._tag !== "ExitStatus",
    (error) =>
      Effect.zipRight(
        // A PID that is no job's process, or a TLS file that is no PEM, was given on the command line: a usage error there.
        usageErrors.has(error._tag) ? logUsageError(command, reportText(error)) : Effect.logError(reportText(error)),
        Effect.fail(new ExitStatus({ code: exitCodeFor(error) }))
      )
  )

/** Logged before the program is interrupted, so the program's own account of what it leaves behind follows it. */
const stopEarly = (signal: StopSignal) => {
  const code = signalExitCode[signal]
  return Effect.zipRight(Effect.logWarning(`received ${signal}: stopping early (exit ${code})`), Effect.fail(new ExitStatus({ code })))
}

/**
 * Runs a command's program and yields its exit code. A stop signal, however
 * often monit or a user repeats it, interrupts the program once, so it
 * still runs its finalizers (releases its lock, removes its temporary file).
 */
export const runCommand = (context: CommandContext, program: CommandRun): Effect.Effect<number> =>
  Effect.flatMap(
    Deferred.poll(context.stopSignal),
    Option.match({
      // Received before the command started: the program never runs.
      onSome: (received) => Effect.flatMap(received, stopEarly),
      onNone: () => Effect.raceFirst(reportFailure(context.command, program), Effect.flatMap(Deferred.await(context.stopSignal), stopEarly))
    })
  ).pipe(
    Effect.as(ExitCode.ok as number),
    Effect.catchTag("ExitStatus", ({ code }) => Effect.succeed(code)),
    Logger.withMinimumLogLevel(levelNamed(context.logLevel)),
    Log.withLogContext(context),
    Effect.provide(Log.layer(context.logFormat))
  )
