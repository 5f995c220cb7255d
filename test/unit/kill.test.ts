import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Exit, Fiber, TestClock } from "effect"
import { chownSync, unlinkSync, writeFileSync } from "node:fs"
import { claim } from "../../src/pidfile/claim.js"
import { kill, type KillRequest } from "../../src/pidfile/kill.js"
import type { Pid } from "../../src/process/Pid.js"
import { type Behaviour, ProcessTable, Reaction } from "../../src/process/ProcessesTest.js"
import { defaultSchedule, parseStopSchedule } from "../../src/process/stopSchedule.js"
import { makePidfile, simulate } from "./support/simulation.js"

const seconds = (n: number) => TestClock.adjust(Duration.seconds(n))
const millis = (n: number) => TestClock.adjust(Duration.millis(n))

/** A claimed process: its pidfile holds its PID and its identity record. */
const claimed = (behaviour: Behaviour = {}, spec: { readonly uid?: number } = {}) =>
  Effect.gen(function*() {
    const table = yield* ProcessTable
    const identity = yield* table.spawn({ behaviour, ...spec })
    return { identity, pid: identity.pid, pidfile: makePidfile(`${identity.pid}\n`, identity) }
  })

const startKill = (request: KillRequest) => Effect.fork(kill({ callerUid: 0, ...request }))

const schedule = (text: string) => Either.getOrThrow(parseStopSchedule(text))

const ignoresTerm: Behaviour = { onSignal: { SIGTERM: Reaction.ignore } }

describe("kill, default schedule", () => {
  it.effect("a process that exits 3 s after SIGTERM: stopped at 3 s, pidfile and record removed", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ onSignal: { SIGTERM: Reaction.exit("3 seconds") } })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(3)
        expect(yield* Fiber.join(fiber)).toBe("Stopped")
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"]])
        expect(pidfile.exists()).toBe(false)
        expect(logs).toContain(`INFO process ${pid} exited after 3s (waited up to 20s)`)
        expect(logs).toContain("INFO pidfile removed")
      })
    ))

  it.effect("interrupted mid-schedule (SIGTERM to sipid): says so, keeps the pidfile, sends nothing more", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed(ignoresTerm)
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(5)
        expect(Exit.isInterrupted(yield* Fiber.interrupt(fiber))).toBe(true)
        yield* seconds(30)
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"]])
        expect(pidfile.exists()).toBe(true)
        expect(logs).toContain(`WARN interrupted while stopping process ${pid}, which had not exited; pidfile kept`)
      })
    ))

  it.effect("SIGKILL exactly at 20 s, not a tick before", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed(ignoresTerm)
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(19_999)
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"]])
        yield* millis(1)
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"], [20_000, "SIGKILL"]])
        expect(yield* Fiber.join(fiber)).toBe("Stopped")
        expect(pidfile.exists()).toBe(false)
      })
    ))

  it.effect("--grace 2s moves SIGKILL to 2 s", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed(ignoresTerm)
        const fiber = yield* startKill({ path: pidfile.path, schedule: defaultSchedule({ grace: Duration.seconds(2) }) })
        yield* seconds(2)
        expect(yield* Fiber.join(fiber)).toBe("Stopped")
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"], [2_000, "SIGKILL"]])
      })
    ))

  it.effect("--show-stacks: SIGQUIT at 20 s; a process that dumps and exits is never SIGKILLed", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ onSignal: { SIGTERM: Reaction.ignore, SIGQUIT: Reaction.dumpStacksAndExit("500 millis") } })
        const fiber = yield* startKill({ path: pidfile.path, schedule: defaultSchedule({ showStacks: true }) })
        yield* millis(20_500)
        expect(yield* Fiber.join(fiber)).toBe("Stopped")
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"], [20_000, "SIGQUIT"]])
        expect((yield* table.events).filter((event) => event._tag === "StackDump").map((event) => event.at)).toEqual([20_000])
      })
    ))

  it.effect("--show-stacks: a process that ignores SIGQUIT too gets SIGKILL 2 s later", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ onSignal: { SIGTERM: Reaction.ignore, SIGQUIT: Reaction.ignore } })
        const fiber = yield* startKill({ path: pidfile.path, schedule: defaultSchedule({ showStacks: true }) })
        yield* millis(21_999)
        expect(yield* table.signalsTo(pid)).toHaveLength(2)
        yield* millis(1)
        expect(yield* Fiber.join(fiber)).toBe("Stopped")
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"], [20_000, "SIGQUIT"], [22_000, "SIGKILL"]])
      })
    ))

  it.effect("a process in D state that outlives SIGKILL by 5 s: ProcessSurvived at 25 s, pidfile and record kept", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.ignore } })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(25)
        const exit = yield* Fiber.await(fiber)
        expect(exit).toEqual(Exit.fail(expect.objectContaining({ _tag: "ProcessSurvived", pid, waited: "25s" })))
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"], [20_000, "SIGKILL"]])
        expect(pidfile.content()).toBe(`${pid}\n`)
        expect(logs).toContain(`WARN process ${pid} still running after 5s`)
      })
    ))

  it.effect("a process that leaves D state 3 s after SIGKILL is stopped at 23 s", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { pidfile } = yield* claimed({ onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.exit("3 seconds") } })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(22)
        expect(fiber.unsafePoll()).toBeNull()
        yield* seconds(1)
        expect(yield* Fiber.join(fiber)).toBe("Stopped")
        expect(pidfile.exists()).toBe(false)
      })
    ))
})

describe("kill, --retry schedules", () => {
  it.effect("HUP/1/INT/2/KILL/3 sends each signal when the previous wait runs out", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ onSignal: { SIGHUP: Reaction.ignore, SIGINT: Reaction.ignore } })
        const fiber = yield* startKill({ path: pidfile.path, schedule: schedule("HUP/1/INT/2/KILL/3") })
        yield* seconds(3)
        expect(yield* Fiber.join(fiber)).toBe("Stopped")
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGHUP"], [1_000, "SIGINT"], [3_000, "SIGKILL"]])
      })
    ))

  it.effect("forever repeats the tail until the process exits", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.ignore } })
        const fiber = yield* startKill({ path: pidfile.path, schedule: schedule("TERM/5/forever/KILL/1") })
        yield* seconds(8)
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"], [5_000, "SIGKILL"], [6_000, "SIGKILL"], [7_000, "SIGKILL"], [8_000, "SIGKILL"]])
        yield* table.exit(pid)
        expect(yield* Fiber.join(fiber)).toBe("Stopped")
        expect(pidfile.exists()).toBe(false)
      })
    ))

  it.effect("a bare number N is TERM/N/KILL/N", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.ignore } })
        const fiber = yield* startKill({ path: pidfile.path, schedule: schedule("4") })
        yield* seconds(8)
        expect(Exit.isFailure(yield* Fiber.await(fiber))).toBe(true)
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"], [4_000, "SIGKILL"]])
      })
    ))
})

describe("kill, nothing to signal", () => {
  it.effect("no pidfile: NoPidfile", () =>
    simulate(() =>
      Effect.gen(function*() {
        const pidfile = makePidfile("")
        unlinkSync(pidfile.path)
        expect(yield* kill({ path: pidfile.path, callerUid: 0 })).toBe("NoPidfile")
      })
    ))

  it.effect("a process that already exited: stale pidfile removed, nothing signalled", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed()
        yield* table.exit(pid)
        expect(yield* kill({ path: pidfile.path, callerUid: 0 })).toBe("Stale")
        expect(pidfile.exists()).toBe(false)
        expect(yield* table.events).toEqual([])
      })
    ))

  it.effect("a zombie is treated as gone: no signal, no grace period", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ fate: "Zombie" })
        yield* table.exit(pid)
        expect(yield* kill({ path: pidfile.path, callerUid: 0 })).toBe("Stale")
        expect(pidfile.exists()).toBe(false)
        expect(yield* table.events).toEqual([])
      })
    ))

  it.effect("a process that turns zombie on SIGTERM is stopped as soon as it does", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { pidfile } = yield* claimed({ fate: "Zombie", onSignal: { SIGTERM: Reaction.exit("1 second") } })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(1)
        expect(yield* Fiber.join(fiber)).toBe("Stopped")
      })
    ))

  it.effect("a reused PID is never signalled; the stale pidfile and record are removed", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed()
        yield* table.reuse(pid)
        expect(yield* kill({ path: pidfile.path, callerUid: 0 })).toBe("Stale")
        expect(yield* table.events).toEqual([])
        expect(pidfile.exists()).toBe(false)
        expect(logs.some((line) => line.includes(`PID ${pid} now belongs to another process`))).toBe(true)
      })
    ))

  it.effect("a PID reused mid-schedule: the old process's exit ends the wait; the newcomer gets nothing", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { identity, pid, pidfile } = yield* claimed(ignoresTerm)
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(5)
        const newcomer = yield* table.reuse(pid, { behaviour: ignoresTerm })
        yield* seconds(30)
        expect(yield* Fiber.join(fiber)).toBe("Stopped")
        const signals = (yield* table.events).filter((event) => event._tag === "Signal")
        expect(signals.map((event) => [event.at, event.startTicks, event.signal])).toEqual([[0, identity.startTicks, "SIGTERM"]])
        expect(signals.some((event) => event.startTicks === newcomer.startTicks)).toBe(false)
      })
    ))

  it.effect("a pidfile rewritten during the stop (by a tool that does not lock) is left in place", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed(ignoresTerm)
        const other = yield* table.spawn()
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(1)
        writeFileSync(pidfile.path, `${other.pid}\n`)
        yield* seconds(20)
        expect(yield* Fiber.join(fiber)).toBe("Stopped")
        expect(pidfile.content()).toBe(`${other.pid}\n`)
        expect(logs).toContain(`WARN pidfile no longer names process ${pid} (rewritten meanwhile); left in place`)
      })
    ))
})

describe("kill, refusals", () => {
  it.effect.each(["-1", "0", "1", " -5", "1 2", "garbage", "", "\n", "99999999999", "40000", "0x10", "+5", "05"])(
    "hostile content %j: PidfileInvalid, file untouched, nothing signalled",
    (content) =>
      simulate(() =>
        Effect.gen(function*() {
          const table = yield* ProcessTable
          yield* table.spawn({ pid: 5 })
          yield* table.spawn({ pid: 1 })
          const pidfile = makePidfile(content)
          const error = yield* Effect.flip(kill({ path: pidfile.path, callerUid: 0 }))
          expect(error._tag).toBe("PidfileInvalid")
          expect(pidfile.content()).toBe(content)
          expect(yield* table.events).toEqual([])
        }), { pidMax: 32768 })
  )

  it.effect("a world-writable pidfile is refused", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const identity = yield* table.spawn()
        const pidfile = makePidfile(`${identity.pid}\n`, identity, 0o666)
        const error = yield* Effect.flip(kill({ path: pidfile.path, callerUid: 0 }))
        expect(error.message).toContain("world-writable")
        expect(pidfile.exists()).toBe(true)
        expect(yield* table.events).toEqual([])
      })
    ))

  it.effect("as root, a pidfile owned by nobody may not name root's process", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({}, { uid: 0 })
        chownSync(pidfile.path, 65534, 65534)
        const error = yield* Effect.flip(kill({ path: pidfile.path, callerUid: 0 }))
        expect(error.message).toContain(`is owned by uid 65534 but names process ${pid} of uid 0`)
        expect(yield* table.events).toEqual([])
      })
    ))

  it.effect("as root, a pidfile owned by nobody may name nobody's process", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({}, { uid: 65534 })
        chownSync(pidfile.path, 65534, 65534)
        expect(yield* kill({ path: pidfile.path, callerUid: 0 })).toBe("Stopped")
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"]])
      })
    ))

  it.effect("a claim during a kill fails fast with PidfileLocked", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pidfile } = yield* claimed(ignoresTerm)
        const next = yield* table.spawn()
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(1)
        const error = yield* Effect.flip(claim({ path: pidfile.path, pid: next.pid as Pid }))
        expect(error._tag).toBe("PidfileLocked")
        yield* seconds(19)
        expect(yield* Fiber.join(fiber)).toBe("Stopped")
      })
    ))
})
