/**
 * Runs the CLI as the process: the exit code is the command's, and nothing
 * but the command decides it. Replaces NodeRuntime.runMain, which turns
 * SIGINT and SIGTERM into an interruption of the whole program that exits
 * 130 without a word; here `runCommand` handles those signals (see there).
 */
import { Cause, Effect, Exit } from "effect"
import { ignoreStreamErrors, writeStderr } from "../log/output.js"
import { ExitCode } from "./exitCodes.js"
import { type CliProcess, main } from "./main.js"

export const runCli = (argv: ReadonlyArray<string>, cli: CliProcess): void => {
  ignoreStreamErrors()
  // A fiber waiting on Effect's own scheduler holds no Node handle; this keeps the process up meanwhile.
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1)
  Effect.runFork(main(argv, cli)).addObserver((exit) => {
    clearInterval(keepAlive)
    const code = Exit.isSuccess(exit) ? exit.value : internalError(exit.cause)
    // Exit at once on failure: an idle keep-alive socket must not hold sipid up. Success lets stdout drain.
    if (code === ExitCode.ok) process.exitCode = code
    else process.exit(code)
  })
}

/** A defect is a bug in sipid, not a user error: show everything. */
const internalError = (cause: Cause.Cause<unknown>): number => {
  writeStderr(`sipid: internal error: ${Cause.pretty(cause)}\n`)
  return ExitCode.system
}
