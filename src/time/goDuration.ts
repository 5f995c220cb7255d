/**
 * Durations in Go's `time.ParseDuration` syntax (`500ms`, `10s`, `1m30s`,
 * `2h`), which BOSH job scripts already use. @effect/cli has no duration
 * option and `Duration.decode` wants `"1 minute"`, hence this parser.
 */
import { Duration, Either } from "effect"
import { InvalidDuration } from "./InvalidDuration.js"

const unitMillis: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000
}

/** Go's durations are int64 nanoseconds: 2562047h47m16.854775807s at most. Longer is refused, as Go does. */
const maxMillis = 9_223_372_036_854.775

const term = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y

/**
 * Parses a non-negative Go duration, up to Go's longest. Unlike Go, a bare number (even `0`) is
 * refused: a unit-less value in a script is almost always a mistake.
 * @since 0.1.0
 * @category parsers
 */
export const parseGoDuration = (text: string): Either.Either<Duration.Duration, InvalidDuration> => {
  const invalid = Either.left(new InvalidDuration({ input: text, reason: "use Go syntax with a unit, such as 500ms, 10s, 1m30s or 2h" }))
  if (text.length === 0) return invalid
  let millis = 0
  term.lastIndex = 0
  while (term.lastIndex < text.length) {
    const match = term.exec(text)
    if (match === null) return invalid
    millis += Number(match[1]) * unitMillis[match[2]!]!
  }
  return millis <= maxMillis
    ? Either.right(Duration.millis(millis))
    : Either.left(new InvalidDuration({ input: text, reason: "longer than Go's longest duration, 2562047h47m16s" }))
}

/**
 * Formats a duration the way Go prints one: `1m30s`, `250ms`, `2h0m0s`.
 * @since 0.1.0
 * @category formatting
 */
export const formatGoDuration = (duration: Duration.DurationInput): string => {
  const millis = Duration.toMillis(duration)
  if (millis < 1_000) return `${+millis.toFixed(3)}ms`
  const hours = Math.floor(millis / 3_600_000)
  const minutes = Math.floor((millis % 3_600_000) / 60_000)
  const seconds = +((millis % 60_000) / 1_000).toFixed(3)
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`
  if (minutes > 0) return `${minutes}m${seconds}s`
  return `${seconds}s`
}
