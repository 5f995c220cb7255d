// examples/library/kill-timing.test.ts
import { expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, TestClock } from "effect"
import { Pidfile } from "sipid"
import { ProcessTable, Reaction, SipidTest } from "sipid/testing"

// sipid's default stop: SIGTERM, up to 20 s to exit, then SIGKILL. Under
// TestClock, against the simulated process table and files, the 20 s pass
// in a few milliseconds, and every signal is recorded at its virtual instant.
it.effect("a process that ignores SIGTERM gets SIGKILL at exactly 20 s", () =>
  Effect.gen(function*() {
    const path = "/var/vcap/sys/run/worker/worker.pid"
    const table = yield* ProcessTable
    const { pid } = yield* table.spawn({ behaviour: { onSignal: { SIGTERM: Reaction.ignore } } })
    yield* Pidfile.claim({ path, pid })

    const stopping = yield* Effect.fork(Pidfile.kill({ path }))
    yield* TestClock.adjust(Duration.seconds(20))

    expect(yield* Fiber.join(stopping)).toEqual(Pidfile.KillOutcome.Stopped({ pid, after: Duration.seconds(20) }))
    expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"], [20_000, "SIGKILL"]])
    expect(yield* Pidfile.status(path)).toEqual(Pidfile.PidfileStatus.NoPidfile())
  }).pipe(Effect.provide(SipidTest())))
