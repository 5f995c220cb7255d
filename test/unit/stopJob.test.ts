/**
 * `stopJob` on the simulated process table under TestClock, called
 * directly: the log lines a user reads, the outcome's details, and the
 * last look's wait.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Either, Layer, Logger, LogLevel, Option, TestClock } from "effect"
import { OsError, OsSubject } from "../../src/os/OsError.js"
import type { Pid } from "../../src/process/Pid.js"
import { Processes } from "../../src/process/Processes.js"
import { type Behaviour, ProcessTable, Reaction } from "../../src/process/ProcessesTest.js"
import { longestJobWait, stopJob } from "../../src/process/stopJob.js"
import { parseStopSchedule } from "../../src/process/stopSchedule.js"
import { jobOf } from "../../src/process/tree.js"
import { settled, simulate } from "./support/simulation.js"

const survivesAll: Behaviour = { onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.ignore } }
const schedule = (text: string) => Either.getOrThrow(parseStopSchedule(text))

/** A session-leading master and its workers, and the job its open handle pins. */
const job = (master: Behaviour, workers: ReadonlyArray<Behaviour> = []) =>
  Effect.gen(function*() {
    const table = yield* ProcessTable
    const processes = yield* Processes
    const { pid } = yield* table.spawn({ command: "master", behaviour: master })
    const handle = yield* processes.open(pid)
    if (handle._tag !== "Open") return yield* Effect.dieMessage("the master is gone")
    const pids = yield* Effect.forEach(workers, (behaviour) => Effect.map(table.spawn({ parent: pid, command: "worker", behaviour }), (worker) => worker.pid))
    const found = Option.getOrThrow(yield* jobOf(handle, { excluded: [], mayStop: () => true }))
    return { job: found, master: pid, workers: pids }
  })

/** Runs stopJob forked, moves the clock `millis` on, and returns its outcome. */
const stopped = (found: Parameters<typeof stopJob>[0], text: string, millis: number, processes?: typeof Processes.Service) =>
  Effect.gen(function*() {
    const stop = stopJob(found, schedule(text)).pipe(Logger.withMinimumLogLevel(LogLevel.Debug))
    const fiber = yield* Effect.fork(processes === undefined ? stop : Effect.provide(stop, Layer.succeed(Processes, processes)))
    yield* TestClock.adjust(Duration.millis(millis))
    return yield* settled(fiber)
  })

describe("stopJob's log", () => {
  it.effect("a lone master: the first look's 'found 0' only, no later 'found 0 more', no empty 'sent', no exit line for the main process", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const { job: found, master } = yield* job({ onSignal: { SIGTERM: Reaction.exit("1 second") } })
        expect(yield* stopped(found, "TERM/20/KILL/5", 5_000)).toEqual({ _tag: "Exited", after: Duration.millis(1_000) })
        expect(logs.filter((line) => /found|pinned|sent|exited/.test(line))).toEqual([
          `INFO found 0 process(es) in process ${master}'s job`,
          `INFO sent SIGTERM to process ${master}`,
          `INFO process ${master} exited after 1s (waited up to 20s)`
        ])
      })
    ))

  it.effect("members past the pidfd budget: the count pinned by start time alone is logged, and each member's exit", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const { job: found, workers } = yield* job({ onSignal: { SIGTERM: Reaction.exit("1 second") } }, [{}, {}])
        expect(yield* stopped(found, "TERM/20/KILL/5", 5_000)).toMatchObject({ _tag: "Exited" })
        expect(logs.filter((line) => /found|pinned|sent|exited/.test(line))).toEqual([
          `INFO found 2 process(es) in process ${found.main.handle.identity.pid}'s job: ${workers.join(", ")}`,
          "INFO 2 of them pinned by start time alone (past the pidfd budget): each is checked before a signal, its exit read from /proc",
          `INFO sent SIGTERM to process ${found.main.handle.identity.pid}`,
          `INFO process ${found.main.handle.identity.pid} exited after 1s (waited up to 20s)`,
          `INFO sent SIGTERM to 2 other process(es) of the job: ${workers.join(", ")}`,
          `INFO process ${workers[0]} (worker) exited after 1s`,
          `INFO process ${workers[1]} (worker) exited after 1s`
        ])
      }), { pidfdBudget: 1 }))

  it.effect("the first look scans the session before SIGTERM: a daemon that descends from nobody is in its count", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { job: found, master } = yield* job({ onSignal: { SIGTERM: Reaction.exit("1 second") } })
        const daemon = yield* table.spawn({ parent: 1, session: master, processGroup: master, command: "daemon" })
        expect(yield* stopped(found, "TERM/20/KILL/5", 5_000)).toMatchObject({ _tag: "Exited" })
        expect(logs.filter((line) => line.includes("found"))).toEqual([`INFO found 1 process(es) in process ${master}'s job: ${daemon.pid}`])
        expect(yield* table.signalsTo(daemon.pid)).toEqual([[1_000, "SIGTERM"]])
      })
    ))
})

describe("stopJob's outcome", () => {
  it.effect("a schedule without KILL whose master survives: Survived, sentKill false, and no member signalled", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { job: found, master, workers } = yield* job(survivesAll, [survivesAll])
        expect(yield* stopped(found, "TERM/1", 5_000)).toEqual({
          _tag: "Survived",
          after: Duration.millis(1_000),
          sentKill: false,
          survivors: [{ pid: master, command: "master", state: "S" }, { pid: workers[0], command: "worker", state: "S" }]
        })
        expect(yield* table.signalsTo(workers[0]!)).toEqual([])
      })
    ))

  it.effect.each([
    ["changed hands", (table: typeof ProcessTable.Service, pid: Pid) => Effect.asVoid(table.reuse(pid, { parent: 1, command: "newcomer" }))],
    ["was freed", (table: typeof ProcessTable.Service, pid: Pid) => table.exit(pid)]
  ] as const)("after SIGKILL that a master and worker survive: no SIGTERM after it, and a worker whose PID %s as survivors are described has exited: not one of them", ([, race]) =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const processes = yield* Processes
        const { job: found, master, workers } = yield* job(survivesAll, [survivesAll])
        const worker = workers[0]!
        // At 2 s, when the survivors are described, the worker's PID changes hands or is freed just before its lineage is read.
        let raced = false
        const racing: typeof Processes.Service = {
          ...processes,
          lineage: (pid: Pid) =>
            Effect.zipRight(
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                pid === worker && now >= 2_000 && !raced ? Effect.zipRight(Effect.sync(() => (raced = true)), race(table, pid)) : Effect.void),
              processes.lineage(pid)
            )
        }
        expect(yield* stopped(found, "TERM/1/KILL/1", 5_000, racing)).toEqual({
          _tag: "Survived",
          after: Duration.millis(2_000),
          sentKill: true,
          survivors: [{ pid: master, command: "master", state: "S" }]
        })
        expect(logs).toContain(`INFO process ${worker} (worker) exited after 2s`)
        expect(yield* table.signalsTo(master)).toEqual([[0, "SIGTERM"], [1_000, "SIGKILL"]])
        expect(raced).toBe(true)
        expect((yield* table.events).filter((event) => event.pid === worker).map((event) => [event.at, event._tag === "Signal" && event.signal])).toEqual([[1_000, "SIGKILL"]])
      })
    ))

  it.effect("a helper the last look finds that survives SIGKILL: the last look's second ends the stop, Survived at exactly 1.6 s", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { job: found, master, workers } = yield* job({ onSignal: { SIGTERM: Reaction.exit("100 millis") } }, [{ onSignal: { SIGTERM: Reaction.exit("500 millis") } }])
        // The worker starts a helper on its way out, away from any member but in the master's session: only a scan finds it.
        const helper = yield* Effect.fork(Effect.zipRight(
          Effect.sleep("550 millis"),
          table.spawn({ parent: 1, session: master, processGroup: master, command: "helper", behaviour: survivesAll })
        ))
        const outcome = yield* stopped(found, "TERM/20/KILL/5", 10_000)
        const { pid } = yield* settled(helper)
        expect(outcome).toEqual({ _tag: "Survived", after: Duration.millis(1_600), sentKill: true, survivors: [{ pid, command: "helper", state: "S" }] })
        expect(yield* table.signalsTo(workers[0]!)).toEqual([[100, "SIGTERM"]])
        // Found after the broadcast of SIGTERM, it gets that at once, then SIGKILL.
        expect(yield* table.signalsTo(pid)).toEqual([[600, "SIGTERM"], [600, "SIGKILL"]])
      })
    ))
  it.effect("a supervisor that exits as SIGKILL goes to its workers (its wait returned), before its own: a worker still dying gets its 5 s, Exited once it is gone", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { job: found, master, workers } = yield* job(
          { exitsWithAChild: true, onSignal: { SIGTERM: Reaction.ignore } },
          [{ onSignal: { SIGTERM: Reaction.ignore } }, { onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.exit("2 seconds") } }]
        )
        expect(yield* stopped(found, "TERM/1/KILL/5", 10_000)).toEqual({ _tag: "Exited", after: Duration.millis(3_000) })
        expect(logs).toContain(`INFO process ${master} exited before SIGKILL was sent`)
        expect(yield* table.signalsTo(workers[1]!)).toEqual([[1_000, "SIGKILL"]])
        expect(logs).toContain(`INFO process ${workers[1]} (worker) exited after 3s`)
      })
    ))

  it.effect("a helper the last look finds after SIGKILL went to all gets SIGKILL once, logged once", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { job: found, master } = yield* job({ onSignal: { SIGTERM: Reaction.ignore } }, [{ onSignal: { SIGTERM: Reaction.ignore } }])
        // In the session but parented to init: only a scan finds it, and the last look is the next.
        const helper = yield* Effect.fork(Effect.zipRight(
          Effect.sleep("500 millis"),
          table.spawn({ parent: 1, session: master, processGroup: master, command: "helper" })
        ))
        expect(yield* stopped(found, "TERM/1/KILL/5", 10_000)).toEqual({ _tag: "Exited", after: Duration.millis(1_000) })
        const { pid } = yield* settled(helper)
        expect(yield* table.signalsTo(pid)).toEqual([[1_000, "SIGKILL"]])
        expect(logs.filter((line) => line.includes("sent SIGKILL to") && line.includes(`${pid}`))).toEqual([
          `INFO sent SIGKILL to 1 other process(es) of the job: ${pid}`
        ])
      })
    ))

  it.effect("a worker that takes 2 s to die after SIGKILL: the schedule's KILL wait covers it, Exited once it is gone", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { job: found, workers } = yield* job(
          { onSignal: { SIGTERM: Reaction.ignore } },
          [{ onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.exit("2 seconds") } }]
        )
        expect(yield* stopped(found, "TERM/1/KILL/5", 10_000)).toEqual({ _tag: "Exited", after: Duration.millis(3_000) })
        expect(yield* table.signalsTo(workers[0]!)).toEqual([[1_000, "SIGKILL"]])
      })
    ))

  it.effect("a helper the master starts in its session as it exits, parented to init: the orphans' look finds it, so it gets SIGTERM and its grace, not the last look's SIGKILL", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { job: found, master } = yield* job({ onSignal: { SIGTERM: Reaction.exit("100 millis") } })
        // Forked at 50 ms, before the rediscovery's first check (250 ms); once the master exits, only a scan finds it.
        const helper = yield* Effect.fork(Effect.zipRight(
          Effect.sleep("50 millis"),
          table.spawn({ parent: 1, session: master, processGroup: master, command: "helper", behaviour: { onSignal: { SIGTERM: Reaction.exit("300 millis") } } })
        ))
        expect(yield* stopped(found, "TERM/20/KILL/5", 10_000)).toEqual({ _tag: "Exited", after: Duration.millis(400) })
        expect(yield* table.signalsTo((yield* settled(helper)).pid)).toEqual([[100, "SIGTERM"]])
      })
    ))
})

describe("stopJob's looks on a machine too busy to walk", () => {
  it.effect("every scan takes 2 s: the first look finishes before SIGTERM, the orphans' look stops at the end of the grace, the last look after half its second, unread: Unseen", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const processes = yield* Processes
        const { job: found } = yield* job({ onSignal: { SIGTERM: Reaction.exit("100 millis") } })
        // 100 processes of strangers, each read taking 20 ms: a scan of /proc outlasts every look's deadline.
        const strangers = new Set(Array.from({ length: 100 }, (_, index) => 100_000 + index))
        const busy: typeof Processes.Service = {
          ...processes,
          allPids: Effect.map(processes.allPids, (pids) => [...pids, ...(strangers as Set<Pid>)]),
          lineage: (pid: Pid) => strangers.has(pid) ? Effect.as(Effect.sleep("20 millis"), Option.none()) : processes.lineage(pid)
        }
        // The first look reads all it listed (2 s), the master's 0.1 s, the 2 s grace its orphans' look fills, then the last look's 0.5 s.
        // That reads 25 of the 100 strangers: whether the other 75 are in the master's session, nobody knows.
        expect(yield* stopped(found, "TERM/20/KILL/5", 10_000, busy)).toEqual({
          _tag: "Unseen",
          after: Duration.millis(4_600),
          sentKill: true,
          survivors: [],
          unseen: { look: "the last look", left: "stopped at its deadline with 75 process(es) unread" }
        })
        // The orphans' look takes 2 s too: only the first says how long it took.
        expect(logs.filter((line) => line.includes("look took"))).toEqual([
          "INFO the first look took 2s, past its 1s, walking the job as it stood: the stop may take that much longer than its worst case"
        ])
      })
    ))
})

describe("stopJob's first look and its second", () => {
  it.effect.each([
    [50, undefined],
    [51, "INFO the first look took 1.02s, past its 1s, walking the job as it stood: the stop may take that much longer than its worst case"]
  ] as const)("a first look that reads %i strangers at 20 ms each: logged only past its second (%s)", ([count, line]) =>
    simulate((logs) =>
      Effect.gen(function*() {
        const processes = yield* Processes
        const { job: found } = yield* job({ onSignal: { SIGTERM: Reaction.exit("100 millis") } })
        const strangers = new Set(Array.from({ length: count }, (_, index) => 100_000 + index))
        // Only the first look's reads are slow (all before count × 20 ms): later looks read the strangers at once.
        const busy: typeof Processes.Service = {
          ...processes,
          allPids: Effect.map(processes.allPids, (pids) => [...pids, ...(strangers as Set<Pid>)]),
          lineage: (pid: Pid) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              strangers.has(pid) && now < 3_600_000 + count * 20 ? Effect.as(Effect.sleep("20 millis"), Option.none()) : processes.lineage(pid))
        }
        // Started at 1 h, not at the clock's 0: the look's time is the difference of two readings.
        yield* TestClock.adjust("1 hour")
        const outcome = yield* stopped(found, "TERM/20/KILL/5", 10_000, busy)
        expect(outcome).toMatchObject({ _tag: "Exited" })
        expect(logs.filter((entry) => entry.includes("the first look took"))).toEqual(line === undefined ? [] : [line])
      })
    ))
})

describe("stopJob's SIGKILL wait for the members", () => {
  // The supervisor's wait returns when its first worker dies of SIGKILL, at once: it exits before its own SIGKILL.
  const supervisor = { exitsWithAChild: true, onSignal: { SIGTERM: Reaction.ignore } } as const
  const diesAtOnce: Behaviour = { onSignal: { SIGTERM: Reaction.ignore } }

  it.effect("a supervisor that exits as SIGKILL goes out, and a worker that survives it: the worker gets 5 s from that SIGKILL, then Survived at 6 s", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { job: found, workers } = yield* job(supervisor, [diesAtOnce, survivesAll])
        expect(yield* stopped(found, "TERM/1/KILL/5", 20_000)).toEqual({
          _tag: "Survived",
          after: Duration.millis(6_000),
          sentKill: true,
          survivors: [{ pid: workers[1], command: "worker", state: "S" }]
        })
      })
    ))

  it.effect("a supervisor that exits as SIGKILL goes out, and a worker 4.5 s dying of it: waited for from that SIGKILL, not from the stop's start, Exited at 5.5 s", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { job: found } = yield* job(supervisor, [diesAtOnce, { onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.exit("4500 millis") } }])
        expect(yield* stopped(found, "TERM/1/KILL/5", 20_000)).toEqual({ _tag: "Exited", after: Duration.millis(5_500) })
      })
    ))

  it.effect("a master that dies of SIGKILL at once and a worker 7 s dying of it, on KILL/10: the schedule's wait is the whole job's, past the members' 5 s, Exited at 8 s", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { job: found } = yield* job(
          { onSignal: { SIGTERM: Reaction.ignore } },
          [{ onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.exit("7 seconds") } }]
        )
        expect(yield* stopped(found, "TERM/1/KILL/10", 20_000)).toEqual({ _tag: "Exited", after: Duration.millis(8_000) })
      })
    ))
})

describe("stopJob's rediscovery", () => {
  it.effect("a look that fails while the schedule runs is logged as a warning, and the stop goes on: the next look finds the new worker", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const processes = yield* Processes
        const { job: found, master } = yield* job({ onSignal: { SIGTERM: Reaction.ignore } })
        const worker = yield* Effect.fork(Effect.zipRight(Effect.sleep("400 millis"), table.spawn({ parent: master, command: "worker" })))
        // Reading the master's children fails once, at the first look after the worker's fork (500 ms).
        let failures = 0
        const failing: typeof Processes.Service = {
          ...processes,
          children: (pid: Pid) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              now >= 500 && failures === 0
                ? Effect.zipRight(Effect.sync(() => failures++), Effect.fail(new OsError({ operation: "read", subject: OsSubject.File({ path: `/proc/${pid}/task` }), code: "EIO" })))
                : processes.children(pid))
        }
        expect(yield* stopped(found, "TERM/3/KILL/1", 5_000, failing)).toMatchObject({ _tag: "Exited", after: Duration.millis(3_000) })
        const { pid } = yield* settled(worker)
        expect(logs.filter((line) => line.startsWith("WARN"))).toEqual([
          `WARN looking for new processes of the job failed: ${new OsError({ operation: "read", subject: OsSubject.File({ path: `/proc/${master}/task` }), code: "EIO" }).message}`,
          `WARN process ${master} still running after 3s`
        ])
        expect(yield* table.signalsTo(pid)).toEqual([[3_000, "SIGKILL"]])
      })
    ))
  it.effect("the newest PID unreadable when the stop starts: a warning, no rediscovery, and the schedule runs as ever", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const processes = yield* Processes
        const { job: found, master } = yield* job({ onSignal: { SIGTERM: Reaction.exit("1 second") } })
        const error = new OsError({ operation: "read", subject: OsSubject.File({ path: "/proc/loadavg" }), code: "EIO" })
        const failing: typeof Processes.Service = { ...processes, newestPid: Effect.fail(error) }
        expect(yield* stopped(found, "TERM/20/KILL/5", 5_000, failing)).toEqual({ _tag: "Exited", after: Duration.millis(1_000) })
        expect(logs.filter((line) => line.startsWith("WARN"))).toEqual([`WARN looking for new processes of the job failed: ${error.message}`])
        expect(logs).toContain(`INFO process ${master} exited after 1s (waited up to 20s)`)
      })
    ))
})

describe("longestJobWait", () => {
  it("a schedule that starts with SIGKILL: no waits before it, so 1 + (2 + 5) + 1 = 9 s", () => {
    expect(Duration.toSeconds(longestJobWait(schedule("KILL/5")))).toBe(9)
  })
})
