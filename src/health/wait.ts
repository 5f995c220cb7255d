/**
 * wait-until-healthy and wait-until-unhealthy as programs: probe every
 * target in rounds until enough rounds in a row find every one healthy (or
 * every one failing), or the deadline passes. A round probes its targets at
 * once and lasts no longer than the request time-out; see schedule.ts for
 * when rounds run, and rounds.ts for how they count and what they log.
 */
import { Clock, Duration, Effect, Option, Ref, Schedule } from "effect"
import { formatGoDuration } from "../time/goDuration.js"
import { describe, type TargetFailure } from "./failure.js"
import { probeTarget } from "./probe.js"
import { initialState, type Mode, type Outcome, step, type WaitState } from "./rounds.js"
import { pollUntil, probeLimit } from "./schedule.js"
import { type Settings, withDefaults } from "./settings.js"
import { expectation, type Target, targetName } from "./target.js"
import type { Transport } from "./Transport.js"
import { attemptsText, StillHealthy, Unhealthy } from "./verdict.js"

/**
 * @since 0.1.0
 * @category outcomes
 */
export interface Healthy {
  readonly attempts: number
  readonly elapsed: Duration.Duration
}

/**
 * How wait-until-unhealthy ends well: every target failing, each for the reason given.
 * @since 0.2.0
 * @category outcomes
 */
export interface Down extends Healthy {
  readonly failures: ReadonlyArray<TargetFailure>
}

const failuresOf = (targets: WaitState["targets"]): Array<TargetFailure> =>
  targets.flatMap(({ name, reason }) => Option.match(reason, { onNone: () => [], onSome: (failure) => [{ target: name, failure }] }))

const waitingLine = (mode: Mode, settings: ReturnType<typeof withDefaults>): string => {
  const waits = settings.targets.map((target) => `${targetName(target)} to ${mode === "healthy" ? "" : "no longer "}${expectation(target)}`)
  const all = waits.length === 1 ? waits[0] : `${waits.slice(0, -1).join(", ")} and ${waits.at(-1)}`
  return `waiting for ${all}${settings.successThreshold === 1 ? "" : `, ${settings.successThreshold} attempts in a row`}, ` +
    `probing every ${formatGoDuration(settings.pollingFrequency)} for up to ${formatGoDuration(settings.timeout)}`
}

/** Probes every target until `mode` holds often enough in a row; yields the last state and the time taken. */
const rounds = (mode: Mode, input: Settings) =>
  Effect.gen(function*() {
    const settings = withDefaults(input)
    // Stryker disable next-line ObjectLiteral: span attributes are trace data, which no unit test reads
    yield* Effect.annotateCurrentSpan({ targets: settings.targets.map(targetName) })
    const start = yield* Clock.currentTimeMillis
    const deadline = start + Duration.toMillis(settings.timeout)
    const state = yield* Ref.make(initialState(settings.targets.map(targetName)))
    const outcome = (target: Target, limit: Duration.Duration) =>
      probeTarget(target, limit, settings.proxies).pipe(
        Effect.match({
          onSuccess: (): Outcome => ({ healthy: true }),
          onFailure: (failure): Outcome => ({
            healthy: false,
            failure,
            cut: failure._tag === "TimedOut" && Duration.lessThan(failure.after, settings.requestTimeout)
          })
        })
      )
    const round = Effect.gen(function*() {
      const limit = yield* probeLimit(settings.requestTimeout, deadline)
      const outcomes = yield* Effect.forEach(settings.targets, (target) => outcome(target, limit), { concurrency: "unbounded" })
      const { lines, state: next } = step(mode, settings.successThreshold, yield* Ref.get(state), outcomes)
      yield* Ref.set(state, next)
      yield* Effect.forEach(lines, (text) => Effect.logInfo(text), { discard: true })
      return next.done
    })
    yield* Effect.logInfo(waitingLine(mode, settings))
    yield* Effect.repeat(round, pollUntil(settings.pollingFrequency, deadline).pipe(Schedule.whileInput((done: boolean) => !done)))
    const elapsed = Duration.millis((yield* Clock.currentTimeMillis) - start)
    return { ...yield* Ref.get(state), elapsed, successThreshold: settings.successThreshold }
  })

/**
 * @since 0.1.0
 * @category programs
 */
export const waitUntilHealthy: (settings: Settings) => Effect.Effect<Healthy, Unhealthy, Transport> = Effect.fn("sipid/waitUntilHealthy")(
  function*(settings: Settings) {
    const { attempts, done, elapsed, inARow, successThreshold, targets } = yield* rounds("healthy", settings)
    if (!done) {
      const failing = failuresOf(targets.filter((target) => target.healthy !== true))
      return yield* new Unhealthy({ failures: failing.length > 0 ? failing : failuresOf(targets), attempts, elapsed, inARow, successThreshold })
    }
    yield* Effect.logInfo(`healthy after ${attemptsText(attempts)} (${formatGoDuration(elapsed)})`)
    return { attempts, elapsed }
  }
)

/**
 * @since 0.2.0
 * @category programs
 */
export const waitUntilUnhealthy: (settings: Settings) => Effect.Effect<Down, StillHealthy, Transport> = Effect.fn("sipid/waitUntilUnhealthy")(
  function*(settings: Settings) {
    const { attempts, done, elapsed, inARow, successThreshold, targets } = yield* rounds("unhealthy", settings)
    if (!done) {
      const named = (healthy: boolean | undefined) => targets.filter((target) => target.healthy === healthy).map(({ name }) => name)
      return yield* new StillHealthy({ healthy: named(true), unseen: named(undefined), attempts, elapsed, inARow, successThreshold })
    }
    const failures = failuresOf(targets)
    const reasons = failures.map(({ failure, target }) => (failures.length === 1 ? describe(failure) : `${target}: ${describe(failure)}`))
    yield* Effect.logInfo(`unhealthy after ${attemptsText(attempts)} (${formatGoDuration(elapsed)}): ${reasons.join(", ")}`)
    return { attempts, elapsed, failures }
  }
)
