/**
 * The schedule interpreter alone, under TestClock against the simulated
 * table: what it returns and logs (kill.test.ts covers what kill makes of it).
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, TestClock } from "effect"
import { Processes } from "../../src/process/Processes.js"
import { type Behaviour, ProcessTable, Reaction } from "../../src/process/ProcessesTest.js"
import { runStopSchedule } from "../../src/process/runStopSchedule.js"
import { parseStopSchedule } from "../../src/process/stopSchedule.js"
import { settled, simulate } from "./support/simulation.js"

/**
 * Runs `schedule` against a new process with `behaviour` for `seconds` of
 * virtual time, starting an hour after the clock's epoch so that durations
 * measured from the clock's zero would show.
 */
const stop = (behaviour: Behaviour, schedule: string, seconds: number) =>
  Effect.gen(function*() {
    yield* TestClock.adjust("1 hour")
    const { pid } = yield* (yield* ProcessTable).spawn({ behaviour })
    const handle = yield* (yield* Processes).open(pid)
    if (handle._tag === "Gone") return yield* Effect.dieMessage("expected a handle")
    const fiber = yield* Effect.fork(runStopSchedule(handle, Either.getOrThrow(parseStopSchedule(schedule))))
    yield* TestClock.adjust(Duration.seconds(seconds))
    return { pid, outcome: yield* settled(fiber) }
  })

describe("runStopSchedule", () => {
  it.effect("a process that exits during a wait: Exited when it did, each step logged", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const { outcome, pid } = yield* stop({ onSignal: { SIGTERM: Reaction.ignore, SIGHUP: Reaction.exit("3 seconds") } }, "TERM/2/HUP/20/KILL/5", 5)
        expect(outcome).toEqual({ _tag: "Exited", after: Duration.seconds(5) })
        expect(logs).toEqual([
          `INFO sent SIGTERM to process ${pid}`,
          `WARN process ${pid} still running after 2s`,
          `INFO sent SIGHUP to process ${pid}`,
          `INFO process ${pid} exited after 3s (waited up to 20s)`
        ])
      })
    ))

  it.effect("a wait whose timer fires before it sees the exit (as after SIGSTOP and SIGCONT of sipid): the exit is checked, never 'still running'", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const { pid } = yield* (yield* ProcessTable).spawn({ behaviour: { onSignal: { SIGTERM: Reaction.exit("1 second") } } })
        const handle = yield* (yield* Processes).open(pid)
        if (handle._tag === "Gone") return yield* Effect.dieMessage("expected a handle")
        // Both are due when sipid runs again, and the timer wins the race.
        const late = { ...handle, awaitExit: Effect.never }
        const fiber = yield* Effect.fork(runStopSchedule(late, Either.getOrThrow(parseStopSchedule("TERM/2/KILL/5"))))
        yield* TestClock.adjust(Duration.seconds(2))
        expect(yield* settled(fiber)).toEqual({ _tag: "Exited", after: Duration.seconds(2) })
        expect(logs).toEqual([`INFO sent SIGTERM to process ${pid}`, `INFO process ${pid} exited after 2s (waited up to 2s)`])
      })
    ))

  it.effect("a process that exits between two signals: Exited, and the second signal is not sent", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const { outcome, pid } = yield* stop({ onSignal: { SIGTERM: Reaction.ignore } }, "TERM/2/HUP/INT/5", 2)
        expect(outcome).toEqual({ _tag: "Exited", after: Duration.seconds(2) })
        expect(logs.slice(-2)).toEqual([`INFO sent SIGHUP to process ${pid}`, `INFO process ${pid} exited before SIGINT was sent`])
      })
    ))

  it.effect.each([
    ["TERM/1/KILL/2", { _tag: "Survived", after: Duration.seconds(3), sentKill: true }],
    ["KILL/1/TERM/2", { _tag: "Survived", after: Duration.seconds(3), sentKill: true }],
    ["TERM/1/HUP/2", { _tag: "Survived", after: Duration.seconds(3), sentKill: false }]
  ] as const)("a process that outlives %s: Survived, with whether SIGKILL was among the signals", ([schedule, expected]) =>
    simulate(() =>
      Effect.gen(function*() {
        const ignoresAll = { onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.ignore, SIGHUP: Reaction.ignore } }
        expect((yield* stop(ignoresAll, schedule, 3)).outcome).toEqual(expected)
      })
    ))
})
