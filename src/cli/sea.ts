/**
 * Entry point of the single executable (`npm run dist`): the script Node
 * runs once at build time to make the V8 startup snapshot embedded in it.
 *
 * At build time it loads the CLI and runs it on help and usage-error argv
 * with a silent console, so the snapshot holds effect and @effect/cli already
 * initialised and warm. Nothing here may build the live layers: a native
 * module (koffi) or an open handle cannot be serialised. Each run of the
 * executable then starts in the deserialize main, which evaluates bin.ts:
 * argv, the environment and TTY checks are read there, never frozen at
 * build time. koffi and undici are loaded from `lib/` beside the executable
 * (see scripts/dist.mjs).
 */
import { Console, Effect } from "effect"
import { setFlagsFromString, startupSnapshot } from "node:v8"
import { main } from "./main.js"

const subcommands = ["claim", "kill", "status", "wait-until-healthy"]

/**
 * What a run parses: help of each command, usage errors, and each command's
 * options as @effect/cli parses them, ending in a value it refuses (so no
 * command runs).
 */
const warmUpArgv: ReadonlyArray<ReadonlyArray<string>> = [
  ["--version"],
  ["--help"],
  ["no-such-command"],
  ...subcommands.flatMap((command) => [[command, "--help"], [command], [command, "--no-such-option"]]),
  ["claim", "--pid", "4242", "--log-format", "json", "--pid-file", "/x/"],
  ["kill", "--pid-file", "/x.pid", "--show-stacks", "--grace", "1"],
  ["status", "--pid-file", "/x/"],
  ["wait-until-healthy", "--url", "http://127.0.0.1/", "--header", "A: b", "--timeout", "1"]
]

const silent = Effect.void
const silentConsole = (console: Console.Console): Console.Console => ({
  ...console,
  log: () => silent,
  error: () => silent,
  info: () => silent,
  warn: () => silent,
  debug: () => silent
})

const notTerminals = { stdinIsTerminal: false, stdoutIsTerminal: false, stderrIsTerminal: false }

const warmUp = Effect.forEach(warmUpArgv, (argv) => main(argv, notTerminals), { discard: true }).pipe(
  (effect) => Effect.consoleWith((console) => Effect.withConsole(effect, silentConsole(console)))
)

startupSnapshot.setDeserializeMainFunction(() => {
  // See bin/sipid.js: undici's WebAssembly, and V8's memory reducer.
  setFlagsFromString("--liftoff-only")
  setFlagsFromString("--no-memory-reducer-for-small-heaps")
  void import("./bin.js")
})

// Node takes the snapshot once the event loop is empty, so after this has run.
void Effect.runPromise(warmUp)
