/** Entry point of the `sipid` executable (bundled to dist/bin/sipid.cjs, and into the Bun executable). */
import { firstStopSignal } from "./stopSignals.js"

// Before the rest of the CLI is even loaded: from here on a stop signal never ends sipid outright (see stopSignals.ts).
const stopSignal = firstStopSignal()
void import("./run.js").then(({ runCli }) => runCli(process.argv.slice(2), { stdinIsTerminal: process.stdin.isTTY === true, stopSignal }))
