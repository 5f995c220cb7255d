/**
 * The bookkeeping of a wait, round by round, as a pure function: which
 * rounds count, when the wait is done, what each target last did, and which
 * log lines a round is worth. A line is logged when a target fails for a
 * reason not logged for it before, and the first time it passes when that
 * does not end the wait; so a flapping endpoint logs its two states once,
 * not once a round.
 */
import { Option } from "effect"
import { describe, type ProbeFailure, sameReason } from "./failure.js"

/** Waiting for every target to be healthy, or for every one to fail. */
export type Mode = "healthy" | "unhealthy"

/**
 * What one target did in a round. `cut`: the failure is a time-out of a
 * probe the deadline cut short, which says little about the target.
 */
export type Outcome = { readonly healthy: true } | { readonly healthy: false; readonly failure: ProbeFailure; readonly cut: boolean }

export interface TargetState {
  readonly name: string
  /** Its last outcome that counted: healthy, failing, or not known yet. */
  readonly healthy: boolean | undefined
  /** The failure to report for it: the last one, unless a cut time-out came after a better reason. */
  readonly reason: Option.Option<ProbeFailure>
  /** The last failure logged for it. */
  readonly logged: Option.Option<ProbeFailure>
  readonly toldHealthy: boolean
}

export interface WaitState {
  readonly attempts: number
  /** Rounds in a row, up to the last, that went the way waited for. */
  readonly inARow: number
  readonly done: boolean
  readonly targets: ReadonlyArray<TargetState>
}

export const initialState = (names: ReadonlyArray<string>): WaitState => ({
  attempts: 0,
  inARow: 0,
  done: false,
  targets: names.map((name) => ({ name, healthy: undefined, reason: Option.none(), logged: Option.none(), toldHealthy: false }))
})

/** `not healthy yet (attempt 3): http://a/: status 503`; the target's name only when there are several. */
const line = (label: string, attempt: number, ...details: ReadonlyArray<string | undefined>): string => {
  const shown = details.filter((detail) => detail !== undefined)
  return `${label} (attempt ${attempt})${shown.length === 0 ? "" : `: ${shown.join(": ")}`}`
}

/** The state after a round of `outcomes` (one per target, in order), and the lines to log for it. */
export const step = (mode: Mode, successThreshold: number, state: WaitState, outcomes: ReadonlyArray<Outcome>) => {
  const attempts = state.attempts + 1
  const passed = outcomes.every((outcome) => (mode === "healthy" ? outcome.healthy : !outcome.healthy && !outcome.cut))
  const inARow = passed ? state.inARow + 1 : 0
  const done = inARow >= successThreshold
  const lines: Array<string> = []
  const targets = state.targets.map((target, index): TargetState => {
    const outcome = outcomes[index]!
    const name = outcomes.length > 1 ? target.name : undefined
    if (outcome.healthy) {
      const tell = !target.toldHealthy && !(mode === "healthy" && done)
      if (tell) lines.push(line("healthy", attempts, name))
      return { ...target, healthy: true, toldHealthy: target.toldHealthy || tell }
    }
    // A cut time-out counts for nothing in a wait for failure; waiting for health, it fails the round
    // but must not hide why the target failed before (even with healthy rounds in between).
    const hides = Option.exists(target.reason, (reason) => reason._tag !== "TimedOut")
    if (outcome.cut && (mode === "unhealthy" || hides)) return target
    const tell = !Option.exists(target.logged, (logged) => sameReason(logged, outcome.failure)) && !(mode === "unhealthy" && done)
    if (tell) lines.push(line(mode === "healthy" ? "not healthy yet" : "unhealthy", attempts, name, describe(outcome.failure)))
    return { ...target, healthy: false, reason: Option.some(outcome.failure), logged: tell ? Option.some(outcome.failure) : target.logged }
  })
  return { state: { attempts, inARow, done, targets }, lines }
}
