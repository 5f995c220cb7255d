/**
 * `kill --tree` on the simulated process table under TestClock: who is a
 * member of the job, which signal reaches whom and exactly when, and what
 * is never signalled.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Either, Exit, Fiber, Logger, LogLevel, Option, TestClock } from "effect"
import { formatGoDuration } from "../../src/time/goDuration.js"
import { chownSync } from "node:fs"
import { JobSurvived, JobUnseen } from "../../src/process/errors.js"
import { kill, KillOutcome, type KillRequest } from "../../src/pidfile/kill.js"
import type { Pid } from "../../src/process/Pid.js"
import { Processes } from "../../src/process/Processes.js"
import { type Behaviour, ProcessTable, Reaction, type SpawnSpec } from "../../src/process/ProcessesTest.js"
import { longestJobWait } from "../../src/process/stopJob.js"
import { defaultSchedule, parseStopSchedule } from "../../src/process/stopSchedule.js"
import { makePidfile, settled, simulate } from "./support/simulation.js"

const millis = (n: number) => TestClock.adjust(Duration.millis(n))

const ignoresTerm: Behaviour = { onSignal: { SIGTERM: Reaction.ignore } }
const survivesAll: Behaviour = { onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.ignore } }

/** A claimed master (a session and group leader, as a ctl script's setsid makes it) with `workers` children. */
const job = (options: { readonly master?: Behaviour; readonly worker?: Behaviour; readonly workers?: number; readonly masterSpec?: SpawnSpec }) =>
  Effect.gen(function*() {
    const table = yield* ProcessTable
    const master = yield* table.spawn({ command: "master", ...options.masterSpec, behaviour: options.master ?? {} })
    const workers = yield* Effect.forEach(
      Array.from({ length: options.workers ?? 2 }),
      () => Effect.map(table.spawn({ parent: master.pid, command: "worker", behaviour: options.worker ?? {} }), ({ pid }) => pid)
    )
    return { master: master.pid, workers, pidfile: makePidfile(`${master.pid}\n`, master) }
  })

/**
 * As root, a pidfile owned by nobody naming nobody's master, with a worker
 * of nobody's (`own`) and one nobody could not signal (`root`: real and
 * saved uid 0).
 */
const nobodysJob = (master: Behaviour = {}) =>
  Effect.gen(function*() {
    const table = yield* ProcessTable
    const nobody = 65534
    const main = yield* table.spawn({ command: "master", uid: nobody, behaviour: master })
    const own = yield* table.spawn({ parent: main.pid, command: "worker", uid: nobody })
    const root = yield* table.spawn({ parent: main.pid, command: "worker", uids: { real: 0, effective: nobody, saved: 0 } })
    const pidfile = makePidfile(`${main.pid}\n`, main)
    chownSync(pidfile.path, nobody, nobody)
    chownSync(pidfile.record, nobody, nobody)
    return { master: main.pid, own: own.pid, root: root.pid, pidfile }
  })

/**
 * A job that forks faster than a look can walk it: from `tip`, each new
 * process forks the next every 50 ms, `links` in all, while each read of
 * the table takes 20 ms (`readTime`), so a look pins a link in 60 ms.
 */
const forkChain = (tip: number, links: number, behaviour: Behaviour) =>
  Effect.gen(function*() {
    const table = yield* ProcessTable
    const chain: Array<Pid> = []
    yield* Effect.fork(Effect.iterate(tip, {
      while: () => chain.length < links,
      body: (parent) =>
        Effect.zipRight(Effect.sleep("50 millis"), Effect.map(table.spawn({ parent, behaviour }), ({ pid }) => (chain.push(pid), pid)))
    }))
    return chain
  })

/** The error a finished fiber failed with, if any. */
const failureOf = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) => {
  const exit = fiber.unsafePoll()
  return exit !== null && Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
}

const startKill = (request: KillRequest) =>
  Effect.fork(kill({ callerUid: 0, callerPids: [], tree: {}, ...request }).pipe(Logger.withMinimumLogLevel(LogLevel.Debug)))

describe("kill --tree (KillMode=mixed)", () => {
  it.effect("workers that ignore SIGTERM get SIGKILL with the master at exactly 20 s, never SIGTERM", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, pidfile, workers } = yield* job({ master: ignoresTerm, worker: ignoresTerm })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(19_999)
        for (const worker of workers) expect(yield* table.signalsTo(worker)).toEqual([])
        yield* millis(1)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(master)).toEqual([[0, "SIGTERM"], [20_000, "SIGKILL"]])
        for (const worker of workers) expect(yield* table.signalsTo(worker)).toEqual([[20_000, "SIGKILL"]])
        expect(pidfile.exists()).toBe(false)
        expect(logs).toContain(`INFO stopping process ${master} and its job (schedule TERM/20/KILL/5)`)
        expect(logs).toContain(`INFO found 2 process(es) in process ${master}'s job: ${workers.join(", ")}`)
        expect(logs).toContain(`DEBUG job member ${workers[0]} (worker), child of ${master}`)
        expect(logs).toContain(`INFO sent SIGKILL to 2 other process(es) of the job: ${workers.join(", ")}`)
        expect(logs).toContain(`INFO process ${workers[0]} (worker) exited after 20s`)
      })
    ))

  it.effect("a master that exits on SIGTERM: its orphaned workers get SIGTERM then, and SIGKILL after the 2 s tree grace", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, pidfile, workers } = yield* job({ master: { onSignal: { SIGTERM: Reaction.exit("1 second") } }, worker: ignoresTerm })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(2_999)
        expect(yield* table.signalsTo(workers[0]!)).toEqual([[1_000, "SIGTERM"]])
        yield* millis(1)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(master)).toEqual([[0, "SIGTERM"]])
        for (const worker of workers) expect(yield* table.signalsTo(worker)).toEqual([[1_000, "SIGTERM"], [3_000, "SIGKILL"]])
      })
    ))

  it.effect("a master that stops its own workers: nothing but its SIGTERM is sent", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, pidfile, workers } = yield* job({ master: { onSignal: { SIGTERM: Reaction.exit("1 second") } } })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(500)
        for (const worker of workers) yield* table.exit(worker)
        yield* millis(500)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect((yield* table.events).filter((event) => event._tag === "Signal").map((event) => [event.pid, event.signal])).toEqual([[master, "SIGTERM"]])
      })
    ))

  it.effect("--tree-grace 500ms moves the members' SIGKILL", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pidfile, workers } = yield* job({ worker: ignoresTerm, workers: 1 })
        const fiber = yield* startKill({ path: pidfile.path, tree: { grace: "500 millis" } })
        yield* millis(500)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(workers[0]!)).toEqual([[0, "SIGTERM"], [500, "SIGKILL"]])
      })
    ))

  it.effect("a worker the master forks during its grace is found and gets SIGKILL with the rest", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, pidfile } = yield* job({ master: ignoresTerm, workers: 1 })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(5_000)
        const late = yield* table.spawn({ parent: master, command: "worker", behaviour: ignoresTerm })
        yield* millis(250)
        expect(logs).toContain(`INFO found 1 more process(es) in process ${master}'s job: ${late.pid}`)
        yield* millis(14_750)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(late.pid)).toEqual([[20_000, "SIGKILL"]])
      })
    ))

  it.effect("a grandchild forked after SIGKILL was sent gets SIGKILL as soon as it is found", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pidfile, workers } = yield* job({ master: survivesAll, worker: survivesAll, workers: 1 })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(20_100)
        const grandchild = yield* table.spawn({ parent: workers[0]!, behaviour: ignoresTerm })
        yield* millis(250)
        expect(yield* table.signalsTo(grandchild.pid)).toEqual([[20_250, "SIGKILL"]])
        yield* millis(5_000)
        yield* Fiber.await(fiber)
      })
    ))

  it.effect("a daemon that double-forked away from the master is found by its session, after its parent exited", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, pidfile } = yield* job({ master: ignoresTerm, workers: 0 })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(5_000)
        // The first fork exits at once, within one rediscovery period: its child is orphaned before anyone looks.
        const first = yield* table.spawn({ parent: master })
        const daemon = yield* table.spawn({ parent: first.pid, command: "daemon", behaviour: ignoresTerm })
        yield* table.exit(first.pid)
        yield* millis(15_000)
        // Found at the latest when the master exits, by its session.
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(daemon.pid)).toEqual([[20_000, "SIGKILL"]])
        expect(logs).toContain(`DEBUG job member ${daemon.pid} (daemon), in session ${master}`)
      })
    ))

  it.effect("a helper a worker started on its way out, found by the last look, gets SIGKILL before success is reported", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, pidfile, workers } = yield* job({
          master: { onSignal: { SIGTERM: Reaction.exit("1 second") } },
          worker: { onSignal: { SIGTERM: Reaction.exit("500 millis") } },
          workers: 1
        })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(1_400)
        // Started by the worker's TERM handler and already orphaned: only its session relates it to the job.
        const helper = yield* table.spawn({ parent: 1, session: master, processGroup: master, command: "helper", behaviour: ignoresTerm })
        yield* millis(100)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(workers[0]!)).toEqual([[1_000, "SIGTERM"]])
        expect(yield* table.signalsTo(helper.pid)).toEqual([[1_500, "SIGTERM"], [1_500, "SIGKILL"]])
      })
    ))

  it.effect("members by process group, when the master leads a group but not a session", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, pidfile } = yield* job({ master: ignoresTerm, workers: 0, masterSpec: { session: 50 } })
        const orphan = yield* table.spawn({ parent: 1, session: 50, processGroup: master, behaviour: ignoresTerm })
        const sameSessionOtherGroup = yield* table.spawn({ parent: 1, session: 50, processGroup: 50 })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(20_000)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(orphan.pid)).toEqual([[20_000, "SIGKILL"]])
        expect(yield* table.signalsTo(sameSessionOtherGroup.pid)).toEqual([])
      })
    ))

  it.effect("a process that took over an exited member's PID is never signalled", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pidfile, workers } = yield* job({ master: ignoresTerm, workers: 1 })
        const worker = workers[0]!
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(5_000)
        const newcomer = yield* table.reuse(worker, { command: "worker", behaviour: ignoresTerm })
        yield* millis(15_000)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(worker)).toEqual([])
        expect((yield* table.events).filter((event) => event._tag === "Signal" && event.startTicks === newcomer.startTicks)).toEqual([])
      })
    ))

  it.effect("a process left alone is logged once, however many looks find it again", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const { master, pidfile, root } = yield* nobodysJob({ onSignal: { SIGTERM: Reaction.exit("1 second") } })
        const fiber = yield* startKill({ path: pidfile.path })
        // The first look, the look for orphans once the master exits at 1 s, and the last look all find it.
        yield* millis(3_000)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(logs.filter((line) => line.includes("left alone"))).toEqual([
          `WARN process ${root} (worker) is child of ${master} but its owner could not signal it; left alone`
        ])
      })
    ))

  it.effect("as root, with a pidfile owned by nobody: a member nobody could not signal (real and saved uid 0) is left alone, logged", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, own, pidfile, root } = yield* nobodysJob()
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(1)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(own)).toEqual([[0, "SIGTERM"]])
        expect(yield* table.signalsTo(root)).toEqual([])
        expect(logs).toContain(`WARN process ${root} (worker) is child of ${master} but its owner could not signal it; left alone`)
        expect(logs).toContain(`INFO found 1 process(es) in process ${master}'s job: ${own}`)
      })
    ))

  it.effect("a main process that becomes a zombie right after it was opened: stale, nothing signalled, pidfile removed", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const processes = yield* Processes
        const { master, pidfile, workers } = yield* job({})
        const diesWhenOpened = { ...processes, open: (pid: Pid) => Effect.tap(processes.open(pid), () => table.exit(pid, "Zombie")) }
        const outcome = yield* kill({ path: pidfile.path, callerUid: 0, callerPids: [], tree: {} }).pipe(Effect.provideService(Processes, diesWhenOpened))
        expect(outcome).toEqual(KillOutcome.Stale({ pid: master, reason: `process ${master} exited before it could be signalled` }))
        expect((yield* table.events).filter((event) => event._tag === "Signal")).toEqual([])
        expect(yield* table.signalsTo(workers[0]!)).toEqual([])
        expect(pidfile.exists()).toBe(false)
      })
    ))

  it.effect("never signalled: an unrelated process with the workers' name, the stopper and its parent, one older than the master, a kernel thread", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, pidfile } = yield* job({ master: ignoresTerm, workers: 0 })
        const namesake = yield* table.spawn({ parent: 1, command: "worker" })
        const stopper = yield* table.spawn({ parent: master, command: "sipid" })
        const older = yield* table.spawn({ parent: 1, session: master, startTicks: 1 })
        const kernelThread = yield* table.spawn({ parent: 1, session: master, kernelThread: true })
        const fiber = yield* startKill({ path: pidfile.path, callerPids: [stopper.pid] })
        yield* millis(20_000)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        for (const bystander of [namesake, stopper, older, kernelThread]) expect(yield* table.signalsTo(bystander.pid)).toEqual([])
      })
    ))

  it.effect("a member that became a zombie (a parent outside the job never reaps it) counts as gone", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const processes = yield* Processes
        const { master, pidfile } = yield* job({ master: ignoresTerm, workers: 0 })
        const reaper = yield* table.spawn({ parent: 1, session: 77, startTicks: 1, subreaper: true })
        const zombie = yield* table.spawn({ parent: reaper.pid, session: master, behaviour: { fate: "Zombie", onSignal: { SIGTERM: Reaction.ignore } } })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(20_000)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(zombie.pid)).toEqual([[20_000, "SIGKILL"]])
        expect((yield* processes.inspect(zombie.pid))._tag).toBe("Zombie")
      })
    ))

  it.effect("worst case: a first look that takes its whole second (a fork bomb), then the master exits just before SIGKILL, a member in D state survives; JobSurvived names it, pidfile kept", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, pidfile } = yield* job({ master: { onSignal: { SIGTERM: Reaction.exit("19999 millis") } }, workers: 0 })
        const stuck = yield* table.spawn({ parent: master, command: "worker", state: "D", behaviour: survivesAll })
        yield* forkChain(stuck.pid, 40, ignoresTerm)
        const fiber = yield* startKill({ path: pidfile.path })
        // 40 ms of reads before the kill's clock starts, then the documented worst case.
        yield* millis(40 + Duration.toMillis(longestJobWait(defaultSchedule())))
        const exit = fiber.unsafePoll()
        const error = exit !== null && Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
        expect(error).toBeInstanceOf(JobSurvived)
        const { path, pid, sentKill, survivors, waited } = error as JobSurvived
        expect({ path, pid, sentKill, survivors }).toEqual({
          path: pidfile.path,
          pid: master,
          sentKill: true,
          survivors: [{ pid: stuck.pid, command: "worker", state: "D" }]
        })
        // 1 s first look (and the read past it) + 19.999 + 2 + 5
        expect(formatGoDuration(waited)).toMatch(/^(27\.999|28\.0[0-4]\d)s$/)
        // The first look took its whole second, and stopped at its first read past it (20 ms each here).
        const [[sigterm]] = yield* table.signalsTo(master)
        expect(sigterm).toBeGreaterThanOrEqual(1_040)
        expect(sigterm).toBeLessThanOrEqual(1_060)
        // The master exited 19.999 s after it; the look for orphans runs inside the 2 s grace, and may end a read past it.
        const [term, kill] = yield* table.signalsTo(stuck.pid)
        expect(term).toEqual([sigterm! + 19_999, "SIGTERM"])
        expect(kill![1]).toBe("SIGKILL")
        expect(kill![0]).toBeGreaterThanOrEqual(sigterm! + 21_999)
        expect(kill![0]).toBeLessThanOrEqual(sigterm! + 22_019)
        expect(pidfile.exists()).toBe(true)
        expect(String(exit !== null && Exit.isFailure(exit) && exit.cause)).toContain("state D: uninterruptible sleep")
        expect(logs.join("\n")).not.toContain("pidfile removed")
      }), { readTime: "20 millis" }))

  it.effect("worst case with --show-stacks, 29 s after a first look that took no time: the master exits just before SIGKILL at 22 s", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, pidfile, workers } = yield* job({
          master: { onSignal: { SIGTERM: Reaction.ignore, SIGQUIT: Reaction.exit("1999 millis") } },
          worker: survivesAll,
          workers: 1
        })
        const fiber = yield* startKill({ path: pidfile.path, schedule: defaultSchedule({ showStacks: true }) })
        yield* millis(28_998)
        expect(fiber.unsafePoll()).toBeNull()
        yield* millis(1)
        expect(Exit.isFailure(yield* Fiber.await(fiber))).toBe(true)
        expect(yield* table.signalsTo(master)).toEqual([[0, "SIGTERM"], [20_000, "SIGQUIT"]])
        expect(yield* table.signalsTo(workers[0]!)).toEqual([[21_999, "SIGTERM"], [23_999, "SIGKILL"]])
      })
    ))

  it.effect("a master that survives SIGKILL too: JobSurvived lists it first, marked main", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { master, pidfile, workers } = yield* job({ master: survivesAll, worker: survivesAll, workers: 1 })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(25_000)
        const exit = yield* Fiber.await(fiber)
        expect(exit._tag).toBe("Failure")
        const message = String(Exit.isFailure(exit) && exit.cause)
        expect(message).toContain(`2 process(es) of process ${master}'s job still alive after 25s, SIGKILL included: ${master} (main) master (state S), ${workers[0]} worker (state S)`)
      })
    ))

  it.effect("a job that forks faster than it can be walked (a fork bomb, slow reads): the first look stops at 1 s and SIGTERM goes then; later looks find the rest", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, pidfile } = yield* job({ master: ignoresTerm, workers: 0 })
        const chain = yield* forkChain(master, 40, ignoresTerm)
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(Duration.toMillis(longestJobWait(defaultSchedule())))
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        // The kill read the master twice (open, jobOf) before its clock started: 40 ms.
        expect(yield* table.signalsTo(master)).toEqual([[1_040, "SIGTERM"], [21_040, "SIGKILL"]])
        const firstLook = Number(/found (\d+) process\(es\) in process/.exec(logs.join("\n"))?.[1])
        expect(firstLook).toBeGreaterThan(0)
        expect(firstLook).toBeLessThan(chain.length)
        // Every link gets SIGKILL: with the master, or when a later look finds it.
        for (const link of chain) {
          const signals = yield* table.signalsTo(link)
          expect(signals.map(([, signal]) => signal)).toEqual(["SIGKILL"])
          expect(signals[0]![0]).toBeGreaterThanOrEqual(21_040)
        }
      }), { readTime: "20 millis" }))

  it.effect("a job bigger than the pidfd budget: the members past it are pinned by identity, all stopped; one whose PID was taken over is never signalled", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pidfile, workers } = yield* job({ master: ignoresTerm, worker: ignoresTerm, workers: 6 })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(5_000)
        // The last worker was opened past the budget (the master and two workers hold the three pidfds).
        const newcomer = yield* table.reuse(workers[5]!, { command: "worker", behaviour: ignoresTerm })
        yield* millis(15_000)
        for (const worker of workers.slice(0, 5)) expect(yield* table.signalsTo(worker)).toEqual([[20_000, "SIGKILL"]])
        expect((yield* table.events).filter((event) => event._tag === "Signal" && event.startTicks === newcomer.startTicks)).toEqual([])
        // Their exits are seen at the next check, at most a second later.
        yield* millis(1_000)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(logs).toContain(`INFO 4 of them pinned by start time alone (past the pidfd budget): each is checked before a signal, its exit read from /proc`)
      }), { pidfdBudget: 3 }))

  it.effect("a job too big to walk in a second, whose master leads no session: the first look goes on while it finds what was there, so all of it is stopped", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        // 60 workers at 20 ms a read: about 3.7 s to find them all. Once the master exits on SIGTERM, a worker
        // not found by then is re-parented to init, and no later look could relate it to the job.
        const { master, pidfile, workers } = yield* job({ worker: ignoresTerm, workers: 60, masterSpec: { session: 50, processGroup: 50 } })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(40_000)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        const [[sigterm]] = yield* table.signalsTo(master)
        expect(sigterm).toBeGreaterThan(3_000)
        for (const worker of workers) expect(yield* table.signalsTo(worker)).toEqual([[sigterm, "SIGTERM"], [sigterm! + 2_000, "SIGKILL"]])
        expect(logs).toContain(`INFO found 60 process(es) in process ${master}'s job: ${workers.join(", ")}`)
        expect(logs.join("\n")).toMatch(/INFO the first look took 3\.\d+s, past its 1s, walking the job as it stood/)
      }), { readTime: "20 millis" }))

  it.effect("a job whose master leads no session, growing faster than it is walked: the first look stops at its bound, and since no later look can make up for it, JobUnseen, pidfile kept, though all it found is stopped", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, pidfile } = yield* job({ master: ignoresTerm, workers: 0, masterSpec: { session: 50, processGroup: 50 } })
        const chain = yield* forkChain(master, 40, ignoresTerm)
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(Duration.toMillis(longestJobWait(defaultSchedule())) + 40)
        const error = failureOf(fiber)
        expect(error).toBeInstanceOf(JobUnseen)
        expect(error).toMatchObject({ pid: master, look: "the first look", survivors: [] })
        expect((error as JobUnseen).left).toMatch(/^stopped at its deadline with \d+ process\(es\) unread$/)
        expect((error as JobUnseen).message).toContain(`process ${master}'s job was not seen whole: the first look stopped at its deadline with`)
        // What was found is stopped all the same.
        for (const link of chain) expect((yield* table.signalsTo(link)).map(([, signal]) => signal)).toEqual(["SIGKILL"])
        expect(pidfile.exists()).toBe(true)
      }), { readTime: "20 millis" }))

  /** A master that exits 1 s after SIGTERM, its workers ignoring it, being stopped. */
  const stoppingMasterThatExitsIn1s = Effect.gen(function*() {
    const { master, pidfile } = yield* job({ master: { onSignal: { SIGTERM: Reaction.exit("1 second") } }, worker: ignoresTerm })
    return { master, pidfile, fiber: yield* startKill({ path: pidfile.path }) }
  })

  it.effect("interrupted after the master exited, while its workers get their grace: the log says it exited, never that it had not", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const { fiber, master, pidfile } = yield* stoppingMasterThatExitsIn1s
        yield* millis(1_500)
        yield* Fiber.interrupt(fiber)
        expect(logs.filter((line) => line.includes("interrupted"))).toEqual([
          `WARN interrupted after process ${master} exited, while stopping the rest of its job; pidfile kept`
        ])
        expect(pidfile.exists()).toBe(true)
      })
    ))

  it.effect("the whole stop's length is logged last, after the pidfile's removal", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const { fiber, master } = yield* stoppingMasterThatExitsIn1s
        yield* millis(3_000)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(logs.slice(-2)).toEqual(["INFO pidfile removed", `INFO process ${master} and its job stopped after 3s`])
      })
    ))

  it.effect("without --tree, the workers are left alone (today's behaviour)", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pidfile, workers } = yield* job({ master: ignoresTerm, worker: ignoresTerm })
        const fiber = yield* Effect.fork(kill({ callerUid: 0, callerPids: [], path: pidfile.path }))
        yield* millis(20_000)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        for (const worker of workers) expect(yield* table.signalsTo(worker)).toEqual([])
      })
    ))
})

describe("longestJobWait: the worst case monit's 30 s stop timeout has to cover", () => {
  it("29 s by default (1 s first look + 20 + 2 + 5 + 1 s last look), 31 s with --show-stacks, 33 s with --grace 24s (sipid then warns), 34 s when no SIGKILL comes before the last wait", () => {
    expect(Duration.toSeconds(longestJobWait(defaultSchedule()))).toBe(29)
    expect(Duration.toSeconds(longestJobWait(defaultSchedule({ showStacks: true })))).toBe(31)
    expect(Duration.toSeconds(longestJobWait(defaultSchedule({ grace: "24 seconds" })))).toBe(33)
    expect(Duration.toSeconds(longestJobWait(defaultSchedule(), { grace: "10 seconds" }))).toBe(37)
    // SIGKILL at 5 s, all gone just before 35 s, then the last look: 1 + 35 + 1.
    expect(Duration.toSeconds(longestJobWait(Either.getOrThrow(parseStopSchedule("TERM/5/KILL/30"))))).toBe(37)
    expect(Duration.toSeconds(longestJobWait(Either.getOrThrow(parseStopSchedule("TERM/25"))))).toBe(34)
  })
})
