import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Option, type Scope, TestClock } from "effect"
import type { Pid } from "../../src/process/Pid.js"
import { Processes } from "../../src/process/Processes.js"
import * as ProcessesTest from "../../src/process/ProcessesTest.js"
import { ProcessTable, Reaction } from "../../src/process/ProcessesTest.js"
import { settled, simulatedTestWithin, withinRealTime } from "./support/simulation.js"

const run = <A, E>(
  effect: Effect.Effect<A, E, Processes | ProcessTable | Scope.Scope>,
  options: ProcessesTest.TestOptions = { pidMax: 32768, bootId: "boot-a" }
) => effect.pipe(Effect.scoped, withinRealTime(simulatedTestWithin, "still waiting on the TestClock"), Effect.provide(ProcessesTest.layer(options)))

/** Opens `pid`, which the test knows to be running. */
const openRunning = (processes: typeof Processes.Service, pid: Pid) =>
  Effect.flatMap(processes.open(pid), (handle) => handle._tag === "Gone" ? Effect.dieMessage("expected a handle") : Effect.succeed(handle))

/** Past its pidfd budget the table pins every handle by identity, checked every second (the default). */
const pinnedByIdentity = { pidfdBudget: 0 }

/** The message `effect` dies with: the table's misuse by a test is a defect, not an error. */
const defectMessage = <R>(effect: Effect.Effect<unknown, never, R>) =>
  effect.pipe(Effect.as("no defect"), Effect.catchAllDefect((defect) => Effect.succeed((defect as Error).message)))

/** A new process that exits 1.5 s after SIGTERM, opened and sent SIGTERM now. */
const signalledToExitIn1500Millis = Effect.gen(function*() {
  const { pid } = yield* ProcessTable.spawn({ behaviour: { onSignal: { SIGTERM: Reaction.exit("1500 millis") } } })
  const handle = yield* openRunning(yield* Processes, pid)
  yield* handle.signal("SIGTERM")
  return handle
})

/** Forks `effect`, then moves the clock on by each step (millis) in turn: how it stood after each, null while running. */
const pollsAfter = <A, E>(effect: Effect.Effect<A, E>, steps: ReadonlyArray<number>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    const seen: Array<Exit.Exit<A, E> | null> = []
    for (const step of steps) {
      yield* TestClock.adjust(Duration.millis(step))
      seen.push(fiber.unsafePoll())
    }
    return seen
  })

describe("ProcessesTest", () => {
  it.effect("spawns processes that inspect like live ones", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      const identity = yield* ProcessTable.spawn({ pid: 4242 as Pid, uid: 1000, startTicks: 77 })
      expect(identity).toEqual({ pid: 4242, startTicks: 77, bootId: "boot-a" })
      expect(yield* processes.inspect(4242 as Pid)).toEqual({
        _tag: "Alive",
        identity,
        uids: { real: 1000, effective: 1000, saved: 1000 },
        threadGroup: 4242
      })
      expect(yield* processes.inspect(4243 as Pid)).toEqual({ _tag: "Gone" })
      expect(yield* processes.pidMax).toBe(32768)
      const next = yield* ProcessTable.spawn()
      expect(next.startTicks).toBeGreaterThan(77)
    })))

  it.effect("numbers processes from 300 up, with start times after any given one", () =>
    run(Effect.gen(function*() {
      const given = yield* ProcessTable.spawn({ pid: 300 as Pid, startTicks: 5000 })
      const first = yield* ProcessTable.spawn()
      const second = yield* ProcessTable.spawn()
      expect([given.pid, first.pid, second.pid]).toEqual([300, 301, 302])
      expect(first.startTicks).toBeGreaterThan(given.startTicks)
      expect(second.startTicks).toBeGreaterThan(first.startTicks)
    })))

  it.effect("one spawn effect run twice starts two processes", () =>
    run(Effect.gen(function*() {
      const spawn = ProcessTable.spawn()
      const first = yield* spawn
      const second = yield* spawn
      expect(second.pid).not.toBe(first.pid)
      expect(second.startTicks).toBeGreaterThan(first.startTicks)
    })))

  it.effect("refuses to start a process on a taken PID, or a thread in no live process", () =>
    run(Effect.gen(function*() {
      const { pid } = yield* ProcessTable.spawn()
      expect(yield* defectMessage(ProcessTable.spawn({ pid }))).toBe(`ProcessesTest: PID ${pid} is taken`)
      yield* ProcessTable.exit(pid)
      expect(yield* defectMessage(ProcessTable.spawnThread(pid))).toBe(`ProcessesTest: no live process ${pid} to start a thread in`)
      yield* ProcessTable.reap(4000 as Pid) // a PID nobody held: nothing to reap, no failure
    })))

  it.effect("exit, zombie, reap and reuse", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      const first = yield* ProcessTable.spawn({ pid: 500 as Pid })
      yield* ProcessTable.exit(first.pid, "Zombie")
      expect(yield* processes.inspect(first.pid)).toEqual({ _tag: "Zombie" })
      yield* ProcessTable.reap(first.pid)
      expect(yield* processes.inspect(first.pid)).toEqual({ _tag: "Gone" })
      const second = yield* ProcessTable.reuse(first.pid)
      const state = yield* processes.inspect(first.pid)
      expect(state._tag === "Alive" && state.identity.startTicks).toBe(second.startTicks)
      expect(second.startTicks).not.toBe(first.startTicks)
    })))

  it.effect("a handle never reaches the process that reused its PID", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      const { pid } = yield* ProcessTable.spawn()
      const handle = yield* processes.open(pid)
      if (handle._tag === "Gone") throw new Error("expected a handle")
      yield* ProcessTable.reuse(pid)
      expect(yield* handle.signal("SIGTERM")).toBe("Gone")
      expect(yield* ProcessTable.signalsTo(pid)).toEqual([])
    })))

  it.effect.each([
    ["never reaches the process that reused its PID", (pid: Pid) => Effect.asVoid(ProcessTable.reuse(pid))],
    ["whose process exited and was reaped sends nothing", (pid: Pid) => ProcessTable.exit(pid)]
  ] as const)("an identity-pinned handle %s", ([, after]) =>
    run(
      Effect.gen(function*() {
          const processes = yield* Processes
        const { pid } = yield* ProcessTable.spawn()
        const handle = yield* openRunning(processes, pid)
        expect(handle.pinnedBy).toBe("Identity")
        yield* after(pid)
        expect(yield* handle.signal("SIGTERM")).toBe("Gone")
        expect(yield* ProcessTable.signalsTo(pid)).toEqual([])
      }),
      pinnedByIdentity
    ))

  it.effect("scripted reactions happen at virtual instants; awaitExit notices them exactly", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      const { pid } = yield* ProcessTable.spawn({
        behaviour: { onSignal: { SIGTERM: Reaction.ignore, SIGQUIT: Reaction.dumpStacksAndExit("3 seconds") } }
      })
      const handle = yield* processes.open(pid)
      if (handle._tag === "Gone") throw new Error("expected a handle")
      const exited = yield* Effect.fork(handle.awaitExit)
      yield* handle.signal("SIGTERM")
      yield* TestClock.adjust(Duration.seconds(10))
      expect(exited.unsafePoll()).toBeNull()
      yield* handle.signal("SIGQUIT")
      yield* TestClock.adjust(Duration.millis(2999))
      expect(exited.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.millis(1))
      yield* settled(exited)
      expect(yield* processes.inspect(pid)).toEqual({ _tag: "Gone" })
      expect(yield* ProcessTable.signalsTo(pid)).toEqual([[0, "SIGTERM"], [10_000, "SIGQUIT"]])
      expect((yield* ProcessTable.events).filter((event) => event._tag === "StackDump")).toHaveLength(1)
    })))

  it.effect("a thread ends with its process, and its TID can then be a process's PID", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      const leader = yield* ProcessTable.spawn({ uids: { real: 0, effective: 65534, saved: 0 } })
      const thread = yield* ProcessTable.spawnThread(leader.pid)
      expect(yield* processes.inspect(thread.pid)).toEqual({
        _tag: "Alive",
        identity: thread,
        uids: { real: 0, effective: 65534, saved: 0 },
        threadGroup: leader.pid
      })
      yield* ProcessTable.exit(leader.pid)
      expect(yield* processes.inspect(thread.pid)).toEqual({ _tag: "Gone" })
      const next = yield* ProcessTable.spawn({ pid: thread.pid })
      expect(yield* processes.inspect(thread.pid)).toMatchObject({ _tag: "Alive", identity: next, threadGroup: thread.pid })
    })))

  it.effect("dies at the earliest exit any signal scheduled; only its own signals are listed", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      const { pid } = yield* ProcessTable.spawn({ behaviour: { onSignal: { SIGTERM: Reaction.exit("10 seconds"), SIGKILL: Reaction.exit("1 second") } } })
      const bystander = yield* ProcessTable.spawn()
      const handle = yield* processes.open(pid)
      if (handle._tag === "Gone") throw new Error("expected a handle")
      yield* handle.signal("SIGTERM")
      yield* TestClock.adjust(Duration.seconds(2))
      yield* handle.signal("SIGKILL")
      yield* TestClock.adjust(Duration.millis(999))
      expect((yield* processes.inspect(pid))._tag).toBe("Alive")
      yield* TestClock.adjust(Duration.millis(1))
      expect(yield* processes.inspect(pid)).toEqual({ _tag: "Gone" })
      expect(yield* ProcessTable.signalsTo(pid)).toEqual([[0, "SIGTERM"], [2000, "SIGKILL"]])
      expect(yield* ProcessTable.signalsTo(bystander.pid)).toEqual([])
    })))

  it.effect("a later signal whose exit comes later does not put off an exit already scheduled", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      const { pid } = yield* ProcessTable.spawn({ behaviour: { onSignal: { SIGTERM: Reaction.exit("1 second"), SIGQUIT: Reaction.exit("10 seconds") } } })
      const handle = yield* openRunning(processes, pid)
      yield* handle.signal("SIGTERM")
      yield* handle.signal("SIGQUIT")
      yield* TestClock.adjust(Duration.seconds(1))
      expect(yield* processes.inspect(pid)).toEqual({ _tag: "Gone" })
    })))

  it.effect("a process whose parent is not simulated reports that parent", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      const { pid } = yield* ProcessTable.spawn({ parent: 4242 })
      const lineage = yield* processes.lineage(pid)
      expect(lineage._tag === "Some" && lineage.value.parent).toBe(4242)
    })))

  it.effect("an orphan that would stay a zombie is reaped by init; one whose parent lives stays a zombie", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      const parent = yield* ProcessTable.spawn()
      const [orphan, child] = yield* Effect.forEach([0, 1], () => ProcessTable.spawn({ parent: parent.pid, behaviour: { fate: "Zombie" } }))
      yield* ProcessTable.exit(child!.pid)
      expect(yield* processes.inspect(child!.pid)).toEqual({ _tag: "Zombie" })
      yield* ProcessTable.exit(parent.pid)
      yield* ProcessTable.exit(orphan!.pid)
      expect(yield* processes.inspect(orphan!.pid)).toEqual({ _tag: "Gone" })
    })))

  it.effect("a process in D state survives SIGKILL", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      const { pid } = yield* ProcessTable.spawn({ behaviour: { onSignal: { SIGKILL: Reaction.ignore } } })
      const handle = yield* processes.open(pid)
      if (handle._tag === "Gone") throw new Error("expected a handle")
      expect(yield* handle.signal("SIGKILL")).toBe("Sent")
      yield* TestClock.adjust(Duration.minutes(1))
      expect((yield* processes.inspect(pid))._tag).toBe("Alive")
    })))

  it.effect("a table with no options reports the default boot id, and a process the default command", () =>
    run(
      Effect.gen(function*() {
          const processes = yield* Processes
        const { pid, bootId } = yield* ProcessTable.spawn()
        expect([processes.bootId, bootId]).toEqual(["test-boot", "test-boot"])
        expect(yield* processes.lineage(pid)).toMatchObject({ _tag: "Some", value: { command: "sim" } })
      }),
      {}
    ))

  it.effect("a thread carries its own start time and its process's boot; a thread starts no thread", () =>
    run(Effect.gen(function*() {
      const leader = yield* ProcessTable.spawn({ bootId: "boot-b" })
      const thread = yield* ProcessTable.spawnThread(leader.pid)
      expect(thread).toEqual({ pid: expect.any(Number), startTicks: expect.any(Number), bootId: "boot-b" })
      expect(thread.startTicks).toBeGreaterThan(leader.startTicks)
      expect(yield* defectMessage(ProcessTable.spawnThread(thread.pid))).toBe(`ProcessesTest: no live process ${thread.pid} to start a thread in`)
    })))

  it.effect("a handle holds a pidfd of the budget until its scope closes", () =>
    run(
      Effect.gen(function*() {
          const processes = yield* Processes
        const first = yield* ProcessTable.spawn()
        const second = yield* ProcessTable.spawn()
        const third = yield* ProcessTable.spawn()
        expect(yield* Effect.scoped(Effect.map(openRunning(processes, first.pid), (handle) => handle.pinnedBy))).toBe("Pidfd")
        expect((yield* openRunning(processes, second.pid)).pinnedBy).toBe("Pidfd")
        expect((yield* openRunning(processes, third.pid)).pinnedBy).toBe("Identity")
      }),
      { pidfdBudget: 1 }
    ))

  it.effect("an identity-pinned handle notices its process's exit at the next check, not before", () =>
    run(
      Effect.gen(function*() {
        const handle = yield* signalledToExitIn1500Millis
        expect(handle.pinnedBy).toBe("Identity")
        const [before, atCheck] = yield* pollsAfter(handle.awaitExit, [1500, 500])
        expect([before, atCheck?._tag]).toEqual([null, "Success"])
      }),
      pinnedByIdentity
    ))

  it.effect("exitedAmong sees an identity-pinned exit at the next check, when any one of them exits", () =>
    run(
      Effect.gen(function*() {
        const processes = yield* Processes
        const running = yield* openRunning(processes, (yield* ProcessTable.spawn()).pid)
        const handle = yield* signalledToExitIn1500Millis
        const found = processes.exitedAmong([running, handle], Duration.seconds(10))
        expect(yield* pollsAfter(found, [1500, 500])).toEqual([null, Exit.succeed([handle])])
      }),
      pinnedByIdentity
    ))

  it.effect("exitedAmong sees a pidfd handle's exit at once, while identity-pinned ones wait for their check", () =>
    run(
      Effect.gen(function*() {
        const processes = yield* Processes
        const withPidfd = yield* signalledToExitIn1500Millis
        const byIdentity = yield* openRunning(processes, (yield* ProcessTable.spawn()).pid)
        expect([withPidfd.pinnedBy, byIdentity.pinnedBy]).toEqual(["Pidfd", "Identity"])
        const found = processes.exitedAmong([byIdentity, withPidfd], Duration.seconds(10))
        expect(yield* pollsAfter(found, [1499, 1])).toEqual([null, Exit.succeed([withPidfd])])
      }),
      { pidfdBudget: 1 }
    ))

  it.effect("exitedAmong answers at once when a handle's process already exited, or no handle is given", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      const gone = yield* openRunning(processes, (yield* ProcessTable.spawn()).pid)
      const running = yield* openRunning(processes, (yield* ProcessTable.spawn()).pid)
      yield* ProcessTable.exit(gone.identity.pid)
      expect(yield* processes.exitedAmong([running, gone], Duration.seconds(10))).toEqual([gone])
      expect(yield* processes.exitedAmong([], Duration.seconds(10))).toEqual([])
    })))

  it.effect("only a stack-dumping reaction records a stack dump", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      const { pid } = yield* ProcessTable.spawn({ behaviour: { onSignal: { SIGTERM: Reaction.exit("1 second") } } })
      yield* (yield* openRunning(processes, pid)).signal("SIGTERM")
      yield* TestClock.adjust(Duration.seconds(1))
      expect((yield* processes.inspect(pid))._tag).toBe("Gone")
      expect(yield* ProcessTable.events).toEqual([{ _tag: "Signal", at: 0, pid, startTicks: expect.any(Number), signal: "SIGTERM" }])
    })))

  it.effect("allPids lists processes and zombies: not init, threads, or processes gone", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      yield* ProcessTable.spawn({ pid: 1 as Pid })
      const running = yield* ProcessTable.spawn()
      yield* ProcessTable.spawnThread(running.pid)
      const zombie = yield* ProcessTable.spawn({ behaviour: { fate: "Zombie" } })
      yield* ProcessTable.exit(zombie.pid)
      const reaped = yield* ProcessTable.spawn()
      yield* ProcessTable.exit(reaped.pid)
      expect([...(yield* processes.allPids)].sort()).toEqual([running.pid, zombie.pid].sort())
    })))

  it.effect("autogroups as setsid and fork make them: a new one for each session leader, its session's for a fork or a process put in it, its process's for a thread, none for a process gone", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      const autogroup = (pid: Pid) => processes.autogroup(pid)
      const leader = yield* ProcessTable.spawn()
      const child = yield* ProcessTable.spawn({ parent: leader.pid })
      const placed = yield* ProcessTable.spawn({ parent: 1, session: leader.pid })
      const thread = yield* ProcessTable.spawnThread(child.pid)
      const other = yield* ProcessTable.spawn()
      const nowhere = yield* ProcessTable.spawn({ parent: 1, session: 77 })
      const [first, second] = [Option.some(1), Option.some(2)]
      expect(yield* Effect.forEach([leader, child, placed, thread, other, nowhere], ({ pid }) => autogroup(pid))).toEqual([first, first, first, first, second, Option.none()])
      // A stranger that takes the leader's PID, and leads a session of that ID, gets a new one.
      yield* ProcessTable.reuse(leader.pid)
      expect(yield* autogroup(leader.pid)).toEqual(Option.some(3))
      yield* ProcessTable.exit(other.pid)
      expect(yield* autogroup(other.pid)).toEqual(Option.none())
    })))

  it.effect("a supervisor exits the moment one of its children does, even one whose exit was scheduled", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      const supervisor = yield* ProcessTable.spawn({ behaviour: { exitsWithAChild: true } })
      const child = yield* ProcessTable.spawn({ parent: supervisor.pid, behaviour: { onSignal: { SIGTERM: Reaction.exit("2 seconds") } } })
      const bystander = yield* ProcessTable.spawn({ parent: child.pid })
      const handle = yield* openRunning(processes, child.pid)
      const watched = yield* openRunning(processes, supervisor.pid)
      yield* handle.signal("SIGTERM")
      yield* TestClock.adjust("1999 millis")
      expect(yield* watched.exited).toBe(false)
      yield* TestClock.adjust("1 millis")
      expect(yield* watched.exited).toBe(true)
      // Only a supervisor's children take it down.
      expect((yield* processes.inspect(bystander.pid))._tag).toBe("Alive")
    })))

  it.effect("startTicksNow: every process so far started no later, the next one no earlier", () =>
    run(Effect.gen(function*() {
      const processes = yield* Processes
      const before = yield* ProcessTable.spawn({ startTicks: 5_000 })
      const now = yield* processes.startTicksNow
      const after = yield* ProcessTable.spawn()
      expect([before.startTicks <= now, after.startTicks > now]).toEqual([true, true])
    })))
})
