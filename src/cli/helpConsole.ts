/**
 * Makes @effect/cli's help and usage errors read right for sipid:
 * - no ANSI colours unless the stream is a terminal, so BOSH logs and
 *   `sipid --help | less` stay readable (@effect/cli colours them always);
 * - a subcommand's usage line starts with `sipid` (`$ sipid kill ...`, where
 *   @effect/cli prints `$ kill ...`), so it can be copied as it stands.
 */
import { Effect } from "effect"

const ansi = /\u001b\[[0-9;]*m/g

const rewrite = (subcommands: ReadonlyArray<string>, keepColours: boolean) => {
  const usageLine = new RegExp(`^((?:\\u001b\\[[0-9;]*m)*\\$ )(${subcommands.join("|")}) `, "gm")
  return (args: ReadonlyArray<unknown>) =>
    args.map((arg) => {
      if (typeof arg !== "string") return arg
      const text = arg.replace(usageLine, "$1sipid $2 ")
      return keepColours ? text : text.replace(ansi, "")
    })
}

export const withHelpConsole = (
  subcommands: ReadonlyArray<string>,
  streams: { readonly stdoutIsTerminal: boolean; readonly stderrIsTerminal: boolean }
) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const forStdout = rewrite(subcommands, streams.stdoutIsTerminal)
  const forStderr = rewrite(subcommands, streams.stderrIsTerminal)
  return Effect.consoleWith((console) =>
    Effect.withConsole(effect, {
      ...console,
      log: (...args) => console.log(...forStdout(args)),
      error: (...args) => console.error(...forStderr(args))
    })
  )
}
