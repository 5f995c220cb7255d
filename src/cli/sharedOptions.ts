/** Options that several commands share, defined once so their help reads the same. */
import { Options } from "@effect/cli"
import { Duration, Effect, Either } from "effect"
import { resolve } from "node:path"
import { logFormats } from "../log/logger.js"
import { parseGoDuration } from "../time/goDuration.js"
import { ValidationError, HelpDoc } from "@effect/cli"

export const pidFile = Options.text("pid-file").pipe(
  Options.withPseudoName("FILE"),
  Options.withDescription("The pidfile, e.g. /var/vcap/sys/run/web/web.pid"),
  Options.mapEffect((path) =>
    path.length === 0 || path.endsWith("/")
      ? Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--pid-file "${path}" must name a file, not a directory`)))
      : Effect.succeed(resolve(path))
  )
)

export const logFormat = Options.choice("log-format", logFormats).pipe(
  Options.withDefault("text" as const),
  Options.withDescription("text: one readable line per step on stderr; json: JSON lines (timestamp, level, message, pid, pidfile)")
)

/** A duration option in Go's syntax (`500ms`, `10s`, `1m30s`). */
export const goDuration = (name: string) =>
  Options.text(name).pipe(
    Options.withPseudoName("DURATION"),
    Options.mapEffect((text) =>
      Either.match(parseGoDuration(text), {
        onLeft: (error) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${name}: ${error.message}`))),
        onRight: (duration): Effect.Effect<Duration.Duration> => Effect.succeed(duration)
      })
    )
  )
