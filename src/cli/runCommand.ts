/**
 * The edge between a command's program and the process: installs the
 * logger, tags log lines, reports a failure as one log line and turns it
 * into an exit code (through `exitCodeFor`, the only mapping), and turns
 * SIGTERM or SIGINT into an orderly early stop.
 */
import { Data, Deferred, Effect, FiberRef, HashMap, Logger, LogLevel } from "effect"
import type { SipidError } from "../errors.js"
import * as Log from "../log/logger.js"
import { ExitCode, exitCodeFor, signalExitCode, type StopSignal } from "./exitCodes.js"

/** A command finished with a non-zero exit code; whatever it had to say is already printed. */
export class ExitStatus extends Data.TaggedError("ExitStatus")<{ readonly code: number }> {}

export interface CommandContext {
  readonly command: string
  readonly pidfile?: string | undefined
  readonly logFormat: Log.LogFormat
}

const stopSignals: ReadonlyArray<StopSignal> = ["SIGINT", "SIGTERM"]

/**
 * Completes with the first stop signal. Until the scope closes, the signals
 * no longer kill sipid outright, so an interrupted command still runs its
 * finalizers (releases its lock, removes its temp file) however often
 * monit or a user repeats the signal.
 */
const receiveStopSignal = Effect.gen(function*() {
  const received = yield* Deferred.make<StopSignal>()
  const onSignal = (signal: StopSignal) => Deferred.unsafeDone(received, Effect.succeed(signal))
  yield* Effect.acquireRelease(
    Effect.sync(() => stopSignals.forEach((signal) => process.on(signal, onSignal))),
    () => Effect.sync(() => stopSignals.forEach((signal) => process.removeListener(signal, onSignal)))
  )
  return Deferred.await(received)
})

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

const reportFailure = <R>(command: string, program: Effect.Effect<unknown, SipidError | ExitStatus, R>) =>
  Effect.catchIf(
    program,
    (error): error is SipidError => error._tag !== "ExitStatus",
    (error) =>
      Effect.zipRight(
        error._tag === "UsageError" ? logUsageError(command, error.message) : Effect.logError(error.message),
        Effect.fail(new ExitStatus({ code: exitCodeFor(error) }))
      )
  )

/** Logged before the program is interrupted, so the program's own account of what it leaves behind follows it. */
const stopEarly = (signal: StopSignal) => {
  const code = signalExitCode[signal]
  return Effect.zipRight(Effect.logWarning(`received ${signal}: stopping early (exit ${code})`), Effect.fail(new ExitStatus({ code })))
}

export const runCommand = <R>(
  context: CommandContext,
  program: Effect.Effect<unknown, SipidError | ExitStatus, R>
): Effect.Effect<void, ExitStatus, R> =>
  Effect.gen(function*() {
    const stopSignal = yield* receiveStopSignal
    yield* Effect.raceFirst(reportFailure(context.command, program), Effect.flatMap(stopSignal, stopEarly))
  }).pipe(
    Effect.scoped,
    Log.withLogContext(context),
    Effect.provide(Log.layer(context.logFormat))
  )
