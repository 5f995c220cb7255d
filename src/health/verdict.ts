/**
 * How a wait ends when the deadline comes first, as data: the attempts, the
 * time taken and what each target last did. Their messages state the facts
 * in one line, which the CLI logs with its advice; a library caller can read
 * the fields instead.
 */
import { Data, type Duration } from "effect"
import { formatGoDuration } from "../time/goDuration.js"
import { describe, hint, type ProbeFailure, type TargetFailure } from "./failure.js"

interface Rounds {
  readonly attempts: number
  readonly elapsed: Duration.Duration
  /** The rounds in a row at the end that went the way waited for, fewer than `successThreshold`. */
  readonly inARow: number
  readonly successThreshold: number
}

export const attemptsText = (attempts: number): string => `${attempts} attempt${attempts === 1 ? "" : "s"}`

/** `not healthy after 5 attempts (4s)`, or with a threshold `not healthy 3 attempts in a row after 9 attempts (8s), only the last 2`. */
const summary = (rounds: Rounds, once: string, inARow: string): string =>
  rounds.successThreshold === 1
    ? `${once} after ${attemptsText(rounds.attempts)} (${formatGoDuration(rounds.elapsed)})`
    : `${inARow} ${rounds.successThreshold} attempts in a row after ${attemptsText(rounds.attempts)} (${formatGoDuration(rounds.elapsed)})` +
      (rounds.inARow > 0 ? `, only the last ${rounds.inARow}` : "")

/**
 * An Unhealthy's line, each last failure followed by what `advise` says of
 * it: failure.ts's `hint` makes the message; the CLI's advice, which names
 * its options, belongs in the same places (cli/healthAdvice.ts).
 */
export const unhealthyText = (error: Unhealthy, advise: (failure: ProbeFailure) => string | undefined): string => {
  const reason = ({ failure }: TargetFailure): string => {
    const advice = advise(failure)
    return `${describe(failure)}${advice === undefined ? "" : `; ${advice}`}`
  }
  const what = summary(error, "not healthy", "not healthy")
  const [only, ...more] = error.failures
  if (only === undefined) return `${what}: every probe was healthy, but the deadline came first`
  return more.length === 0
    ? `${only.target}: ${what}: last failure: ${reason(only)}`
    : `${what}: ${error.failures.map((failure) => `${failure.target} (last failure: ${reason(failure)})`).join(", ")}`
}

/**
 * wait-until-healthy: the deadline passed before every target was healthy often enough in a row.
 * @since 0.1.0
 * @category errors
 */
export class Unhealthy extends Data.TaggedError("Unhealthy")<Rounds & {
  /**
   * The targets that failed the last round, each with its last failure; when
   * the last rounds were healthy but too few in a row, the targets that
   * failed before them. Empty when no probe ever failed.
   */
  readonly failures: ReadonlyArray<TargetFailure>
}> {
  override get message(): string {
    return unhealthyText(this, hint)
  }
}

/**
 * wait-until-unhealthy: the deadline passed before every target failed often enough in a row.
 * @since 0.2.0
 * @category errors
 */
export class StillHealthy extends Data.TaggedError("StillHealthy")<Rounds & {
  /** The targets whose last probe that counted did not fail; empty when they all failed, but in too few rounds in a row. */
  readonly healthy: ReadonlyArray<string>
  /** The targets none of whose probes counted: each was cut short by the deadline, so whether they fail is not known. */
  readonly unseen: ReadonlyArray<string>
}> {
  override get message(): string {
    const what = summary(this, this.healthy.length === 0 && this.unseen.length > 0 ? "not seen failing" : "still healthy", "not unhealthy")
    const seen = this.healthy.length === 0
      ? what
      : this.healthy.length === 1
      ? `${this.healthy[0]}: ${what}`
      : `${what}: ${this.healthy.join(", ")}`
    return this.unseen.length === 0
      ? seen
      : `${seen}; no probe of ${this.unseen.join(", ")} finished before the deadline: give the wait more time than one probe's time-out`
  }
}
