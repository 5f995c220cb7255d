/**
 * Interprets a stop schedule against one opened process, using only the
 * `Processes` service and the Clock, so the same program runs against
 * pidfds in production and a simulated table under `TestClock` in tests.
 */
import { Clock, Duration, Effect } from "effect"
import { formatGoDuration } from "../time/goDuration.js"
import type { SystemError } from "../errors.js"
import { type ProcessHandle, Processes, type SignalName } from "./Processes.js"
import type { StopSchedule } from "./stopSchedule.js"

export type StopOutcome =
  /** The process exited (or became a zombie) `after` the schedule started. */
  | { readonly _tag: "Exited"; readonly after: Duration.Duration }
  /** The schedule ran out with the process still alive; `sentKill`: even SIGKILL was sent. */
  | { readonly _tag: "Survived"; readonly after: Duration.Duration; readonly sentKill: boolean }

/**
 * How the schedule's steps reach the process; by default they go to
 * `handle` alone. `kill --tree` widens them to the job (SIGKILL to every
 * member, and waiting for all once it was sent).
 */
export interface StopTarget {
  readonly signal: (signal: SignalName) => Effect.Effect<"Sent" | "Gone", SystemError>
  readonly awaitExit: Effect.Effect<void, SystemError>
}

export const runStopSchedule = (
  handle: ProcessHandle,
  schedule: StopSchedule,
  target?: StopTarget
): Effect.Effect<StopOutcome, SystemError, Processes> =>
  Effect.gen(function*() {
    const processes = yield* Processes
    const send = target?.signal ?? ((signal: SignalName) => processes.signal(handle, signal))
    const awaitExit = target?.awaitExit ?? processes.awaitExit(handle)
    const { pid } = handle.identity
    const started = yield* Clock.currentTimeMillis
    const elapsed = Effect.map(Clock.currentTimeMillis, (now) => Duration.millis(now - started))
    const { repeatFrom, steps } = schedule

    let index = 0
    while (index < steps.length) {
      const step = steps[index]!
      if (step._tag === "Signal") {
        if ((yield* send(step.signal)) === "Gone") {
          yield* Effect.logInfo(`process ${pid} exited before ${step.signal} was sent`)
          return { _tag: "Exited", after: yield* elapsed } as const
        }
        yield* Effect.logInfo(`sent ${step.signal} to process ${pid}`)
      } else {
        const waitStarted = yield* Clock.currentTimeMillis
        // awaitExit wakes on the exit itself (pidfd poll), not on a polling tick.
        const exited = yield* Effect.timeoutOption(awaitExit, step.timeout)
        const waited = formatGoDuration((yield* Clock.currentTimeMillis) - waitStarted)
        if (exited._tag === "Some") {
          yield* Effect.logInfo(`process ${pid} exited after ${waited} (waited up to ${formatGoDuration(step.timeout)})`)
          return { _tag: "Exited", after: yield* elapsed } as const
        }
        yield* Effect.logWarning(`process ${pid} still running after ${waited}`)
      }
      index++
      if (index === steps.length && repeatFrom !== undefined) index = repeatFrom
    }
    // Surviving means every step ran, so the schedule's signals were all sent.
    const sentKill = steps.some((step) => step._tag === "Signal" && step.signal === "SIGKILL")
    return { _tag: "Survived", after: yield* elapsed, sentKill } as const
  })
