/**
 * The edge between a command's program and the process: installs the
 * logger, tags log lines, reports a failure as one log line and turns it
 * into an exit code (through `exitCodeFor`, the only mapping).
 */
import { Data, Effect } from "effect"
import type { SipidError } from "../errors.js"
import * as Log from "../log/logger.js"
import { exitCodeFor } from "./exitCodes.js"

/** A command finished with a non-zero exit code; whatever it had to say is already printed. */
export class ExitStatus extends Data.TaggedError("ExitStatus")<{ readonly code: number }> {}

export interface CommandContext {
  readonly command: string
  readonly pidfile?: string | undefined
  readonly logFormat: Log.LogFormat
}

export const runCommand = <R>(
  context: CommandContext,
  program: Effect.Effect<unknown, SipidError | ExitStatus, R>
): Effect.Effect<void, ExitStatus, R> =>
  program.pipe(
    Effect.catchIf(
      (error): error is SipidError => error._tag !== "ExitStatus",
      (error) => Effect.zipRight(Effect.logError(error.message), Effect.fail(new ExitStatus({ code: exitCodeFor(error) })))
    ),
    Effect.asVoid,
    Log.withLogContext(context),
    Effect.provide(Log.layer(context.logFormat))
  )
