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

export const makeLogger = (format: LogFormat, write: (line: string) => void = writeStderr) =>
  Logger.make(({ annotations, date, logLevel, message }) => {
    const timestamp = date.toISOString()
    const text = messageText(message)
    const command = annotation(annotations, "command")
    const pidfile = annotation(annotations, "pidfile")
    const pid = annotation(annotations, "pid")
    if (format === "json") {
      write(
        JSON.stringify({
          timestamp,
          level: logLevel.label.toLowerCase(),
          message: text,
          ...(command && { command }),
          ...(pid && { pid: Number(pid) }),
          ...(pidfile && { pidfile })
        }) + "\n"
      )
    } else {
      // Error messages name their file already; say it once.
      const file = pidfile !== undefined && !text.includes(pidfile) ? ` ${pidfile}` : ""
      const where = (command ? `sipid ${command}` : "sipid") + file
      write(`${timestamp} ${logLevel.label.padEnd(5)} ${where}: ${text}\n`)
    }
  })

/** Replaces Effect's default logger with sipid's, in the given format. */
export const layer = (format: LogFormat): Layer.Layer<never> => Logger.replace(Logger.defaultLogger, makeLogger(format))

/** Tags every log line of `effect` with the command and, where known, the pidfile. */
export const withLogContext =
  (context: { readonly command: string; readonly pidfile?: string | undefined }) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    effect.pipe(
      Effect.annotateLogs(context.pidfile === undefined ? { command: context.command } : { command: context.command, pidfile: context.pidfile })
    )
