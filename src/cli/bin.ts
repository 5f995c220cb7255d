/** Entry point of the `sipid` executable (bundled to dist/bin/sipid.js). */
import { runMain } from "@effect/platform-node/NodeRuntime"
import { Cause, Exit } from "effect"
import { ExitCode } from "./exitCodes.js"
import { main } from "./main.js"

const terminals = {
  stdinIsTerminal: process.stdin.isTTY === true,
  stdoutIsTerminal: process.stdout.isTTY === true,
  stderrIsTerminal: process.stderr.isTTY === true
}

runMain(main(process.argv.slice(2), terminals), {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: (exit, onExit) => {
    if (Exit.isSuccess(exit)) return onExit(exit.value as number)
    if (Cause.isInterruptedOnly(exit.cause)) return onExit(130)
    // A defect is a bug in sipid, not a user error: show everything.
    process.stderr.write(`sipid: internal error: ${Cause.pretty(exit.cause)}\n`)
    onExit(ExitCode.system)
  }
})
