/**
 * @effect/cli renders help and usage errors with ANSI colours even when the
 * output is a pipe or a log file. This strips them unless the stream is a
 * terminal, so BOSH logs and `sipid --help | less` stay readable.
 */
import { Effect } from "effect"

// eslint-disable-next-line no-control-regex
const ansi = /\u001b\[[0-9;]*m/g

const strip = (args: ReadonlyArray<unknown>) => args.map((arg) => (typeof arg === "string" ? arg.replace(ansi, "") : arg))

export const withPlainConsole = (streams: { readonly stdoutIsTerminal: boolean; readonly stderrIsTerminal: boolean }) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.consoleWith((console) =>
    Effect.withConsole(effect, {
      ...console,
      log: (...args) => console.log(...(streams.stdoutIsTerminal ? args : strip(args))),
      error: (...args) => console.error(...(streams.stderrIsTerminal ? args : strip(args)))
    })
  )
