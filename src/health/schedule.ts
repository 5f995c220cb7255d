/**
 * When probes run: the first at once, each next one a polling period after
 * the previous one ended (so slow answers never overlap), and none that would
 * start at or after the deadline. Each probe's own time limit stops at the
 * deadline, so the whole wait ends on time even against a server that never
 * answers.
 */
import { Clock, Duration, Effect, Schedule } from "effect"

/** Retries while the next probe would still start before `deadline` (epoch millis). */
export const pollUntil = (period: Duration.Duration, deadline: number): Schedule.Schedule<number> =>
  Schedule.spaced(period).pipe(
    Schedule.checkEffect(() => Effect.map(Clock.currentTimeMillis, (now) => now + Duration.toMillis(period) < deadline))
  )

/** A probe's time limit: its own, cut short by the deadline. */
export const probeLimit = (requestTimeout: Duration.Duration, deadline: number): Effect.Effect<Duration.Duration> =>
  Effect.map(Clock.currentTimeMillis, (now) => Duration.min(requestTimeout, Duration.millis(Math.max(0, deadline - now))))
