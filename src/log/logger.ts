/**
 * sipid's log lines: one per step, on stderr, so stdout stays free for
 * answers a script may capture. Text for people, JSON lines for log shippers.
 *
 * Programs log with `Effect.log*` and annotate `pidfile`, `pid` and `command`
 * (see `withLogContext`); this logger only decides the layout.
 */
import { Effect, HashMap, Inspectable, Layer, Logger, Option } from "effect"
import { writeStderr } from "./output.js"

export type LogFormat = "text" | "json"
export const logFormats: ReadonlyArray<LogFormat> = ["text", "json"]

const annotation = (annotations: HashMap.HashMap<string, unknown>, key: string): string | undefined =>
  Option.getOrUndefined(Option.map(HashMap.get(annotations, key), String))

const messageText = (message: unknown): string =>
  Array.isArray(message) ? message.map(messageText).join(" ") : typeof message === "string" ? message : Inspectable.format(message)

const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" }

/**
 * Escapes what could end a log line early or forge one: control characters
 * (an OpenSSL message's trailing newline, a newline in a pidfile's name,
 * a terminal escape), Unicode's line and paragraph separators, and its
 * direction controls, which can show a line's text in another order than
 * it has (a server's body quoted in a reason).
 */
export const oneLine = (text: string): string =>
  text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g, (c) => named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

/**
 * Every line names its command and pidfile in the same place (the text
 * prefix, the JSON fields); an error that starts with the pidfile's name
 * (`FILE: locked by another process`) is not made to say it twice.
 */
const withoutPidfile = (text: string, pidfile: string | undefined): string =>
  pidfile !== undefined && text.startsWith(`${pidfile}: `) ? text.slice(pidfile.length + 2) : text

const droppedNote = (dropped: number): string =>
  dropped === 0 ? "" : ` (${dropped} earlier log line${dropped === 1 ? " was" : "s were"} dropped: stderr could not take them)`

/**
 * `write` answers whether the line got out; the count of those that did not
 * rides on the next one that does.
 */
export const makeLogger = (format: LogFormat, write: (line: string) => boolean = writeStderr) => {
  let dropped = 0
  return Logger.make(({ annotations, date, logLevel, message }) => {
    const timestamp = date.toISOString()
    const command = annotation(annotations, "command")
    const pidfile = annotation(annotations, "pidfile")
    const pid = annotation(annotations, "pid")
    const text = oneLine(withoutPidfile(messageText(message), pidfile)) + droppedNote(dropped)
    const line = format === "json"
      ? JSON.stringify({
        timestamp,
        level: logLevel.label.toLowerCase(),
        message: text,
        ...(command && { command }),
        ...(pid && { pid: Number(pid) }),
        ...(pidfile && { pidfile: oneLine(pidfile) })
      })
      : `${timestamp} ${logLevel.label.padEnd(5)} sipid${command ? ` ${command}` : ""}${pidfile === undefined ? "" : ` ${oneLine(pidfile)}`}: ${text}`
    dropped = write(`${line}\n`) ? 0 : dropped + 1
  })
}

/** Replaces Effect's default logger with sipid's, in the given format. */
export const layer = (format: LogFormat): Layer.Layer<never> => Logger.replace(Logger.defaultLogger, makeLogger(format))

/** Tags every log line of `effect` with the command and, where known, the pidfile. */
export const withLogContext =
  (context: { readonly command: string; readonly pidfile?: string | undefined }) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    effect.pipe(
      Effect.annotateLogs(context.pidfile === undefined ? { command: context.command } : { command: context.command, pidfile: context.pidfile })
    )
