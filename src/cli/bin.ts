/** Entry point of the `sipid` executable (bundled to dist/bin/sipid.js). */
import { runCli } from "./run.js"

runCli(process.argv.slice(2), {
  stdinIsTerminal: process.stdin.isTTY === true,
  stdoutIsTerminal: process.stdout.isTTY === true,
  stderrIsTerminal: process.stderr.isTTY === true
})
