/**
 * `kill --tree` on a stale pidfile, on the simulated process table under
 * TestClock: the main process has exited, its workers live on in its
 * session, and they are stopped only while the session provably is still
 * the job's (src/process/remains.ts).
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Exit, Fiber, Logger, LogLevel, Option, TestClock } from "effect"
import { kill } from "../../src/pidfile/kill.js"
import { staleJobMembers } from "../../src/pidfile/statusTree.js"
import { Processes } from "../../src/process/Processes.js"
import { type Behaviour, ProcessTable, Reaction } from "../../src/process/ProcessesTest.js"
import { pidsBeforeReuse, remainsOf } from "../../src/process/remains.js"
import { makePidfile, simulate } from "./support/simulation.js"

const ignoresTerm: Behaviour = { onSignal: { SIGTERM: Reaction.ignore } }

/**
 * A master (session and group leader) with two workers that ignore
 * SIGTERM, claimed: its record says where the PID counter stood (unless
 * `counter` is false, as an older sipid wrote it). Then the master dies.
 */
const orphanedJob = (
  options: { readonly counter?: boolean | "forks" | "newestPid"; readonly master?: Behaviour; readonly worker?: Behaviour } = {}
) =>
  Effect.gen(function*() {
    const table = yield* ProcessTable
    const processes = yield* Processes
    const master = yield* table.spawn({ command: "master", behaviour: options.master ?? {} })
    const workers = yield* Effect.forEach([1, 2], () =>
      Effect.map(table.spawn({ parent: master.pid, command: "worker", behaviour: options.worker ?? ignoresTerm }), ({ pid }) => pid))
    const counter = { forks: yield* processes.forkCount, newestPid: yield* processes.newestPid }
    const record = options.counter === false
      ? master
      : typeof options.counter === "string"
      ? { ...master, [options.counter]: counter[options.counter] }
      : { ...master, ...counter }
    const pidfile = makePidfile(`${master.pid}\n`, record)
    yield* table.exit(master.pid)
    return { master: master.pid, workers, pidfile }
  })

const startKill = (path: string, tree = true) =>
  Effect.fork(kill({ callerUid: 0, callerPids: [], path, ...(tree && { tree: {} }) }).pipe(Logger.withMinimumLogLevel(LogLevel.Debug)))

/** kill --tree on the stale pidfile `path` signals nothing, and its log says `why`. */
const expectLeftAlone = (path: string, logs: ReadonlyArray<string>, why: string) =>
  Effect.gen(function*() {
    expect(yield* Effect.flatMap(startKill(path), Fiber.join)).toMatchObject({ _tag: "Stale" })
    expect(yield* allSignals).toEqual([])
    expect(logs.join("\n")).toContain(why)
  })

/** Every signal the table delivered, as [pid, virtual millis, signal]. */
const allSignals = Effect.map(
  Effect.flatMap(ProcessTable, (table) => table.events),
  (events) => events.flatMap((event) => (event._tag === "Signal" ? [[event.pid, event.at, event.signal] as const] : []))
)

describe("kill --tree on a stale pidfile: what the exited main process left behind", () => {
  it.effect("workers left in the session get SIGTERM, 2 s, SIGKILL; the pidfile is removed", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, pidfile, workers } = yield* orphanedJob()
        const fiber = yield* startKill(pidfile.path)
        yield* TestClock.adjust(Duration.millis(1_999))
        for (const worker of workers) expect(yield* table.signalsTo(worker)).toEqual([[0, "SIGTERM"]])
        yield* TestClock.adjust(Duration.millis(1))
        expect(yield* Fiber.join(fiber)).toMatchObject({ _tag: "Stale", pid: master })
        for (const worker of workers) expect(yield* table.signalsTo(worker)).toEqual([[0, "SIGTERM"], [2_000, "SIGKILL"]])
        expect(yield* table.signalsTo(master)).toEqual([])
        expect(pidfile.exists()).toBe(false)
        expect(logs).toContain(`WARN pidfile is stale: process ${master} has exited; stopping what is left of its job`)
        expect(logs).toContain(`DEBUG job member ${workers[0]} (worker), in session ${master}`)
      })
    ))

  it.effect("a main process that is a zombie still holds its PID: its session is stopped even without the counter", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, pidfile, workers } = yield* orphanedJob({ counter: false, master: { fate: "Zombie" } })
        // Its parent outside the job never reaps it: a zombie, not re-parented to init.
        expect((yield* (yield* Processes).inspect(master))._tag).toBe("Zombie")
        const fiber = yield* startKill(pidfile.path)
        yield* TestClock.adjust(Duration.seconds(2))
        expect(yield* Fiber.join(fiber)).toMatchObject({ _tag: "Stale" })
        for (const worker of workers) expect(yield* table.signalsTo(worker)).toEqual([[0, "SIGTERM"], [2_000, "SIGKILL"]])
      })
    ))

  it.effect("a worker that survives SIGKILL: JobSurvived names it, the pidfile is kept", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { master, pidfile, workers } = yield* orphanedJob({ worker: { onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.ignore } } })
        const fiber = yield* startKill(pidfile.path)
        // 2 s of --tree-grace, then 5 s for SIGKILL to work.
        yield* TestClock.adjust(Duration.seconds(7))
        const exit = yield* Fiber.await(fiber)
        expect(Exit.isFailure(exit)).toBe(true)
        expect(String(Exit.isFailure(exit) && exit.cause)).toContain(
          `2 process(es) of process ${master}'s job still alive after 7s, SIGKILL included: ${workers[0]} worker (state S), ${workers[1]} worker (state S)`
        )
        expect(pidfile.exists()).toBe(true)
      })
    ))

  it.effect("without --tree, nothing is signalled (a stale pidfile is removed as ever)", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { pidfile } = yield* orphanedJob()
        expect(yield* Effect.flatMap(startKill(pidfile.path, false), Fiber.join)).toMatchObject({ _tag: "Stale" })
        expect(yield* allSignals).toEqual([])
        expect(pidfile.exists()).toBe(false)
      })
    ))

  describe("nothing is signalled when the session may not be the job's any more", () => {
    it.effect("the PID belongs to another process now, which made a session of its own", () =>
      simulate((logs) =>
        Effect.gen(function*() {
          const table = yield* ProcessTable
          const { master, pidfile } = yield* orphanedJob()
          // What the kernel allows only once the job's session has emptied (simulated regardless).
          const stranger = yield* table.reuse(master, { command: "stranger" })
          yield* table.spawn({ parent: stranger.pid, command: "helper" })
          yield* expectLeftAlone(
            pidfile.path,
            logs,
            `not looking for what is left of its job: PID ${master} belongs to another process now, so nothing is left of the job's session or group`
          )
          expect(pidfile.exists()).toBe(false)
        })
      ))

    it.effect.each([false, "forks", "newestPid"] as const)("a record with no PID counter (an older sipid's), or only its %s", (counter) =>
      simulate((logs) =>
        Effect.gen(function*() {
          const { pidfile } = yield* orphanedJob({ counter })
          yield* expectLeftAlone(pidfile.path, logs, "does not say where the PID counter stood")
        })
      ))

    it.effect("no identity record at all", () =>
      simulate((logs) =>
        Effect.gen(function*() {
          const table = yield* ProcessTable
          const master = yield* table.spawn()
          yield* table.spawn({ parent: master.pid })
          const pidfile = makePidfile(`${master.pid}\n`)
          yield* table.exit(master.pid)
          yield* expectLeftAlone(pidfile.path, logs, "there is no identity record to tell its processes from strangers'")
        })
      ))

    it.effect("a record from an earlier boot", () =>
      simulate((logs) =>
        Effect.gen(function*() {
          const table = yield* ProcessTable
          const processes = yield* Processes
          const master = yield* table.spawn()
          yield* table.spawn({ parent: master.pid })
          const earlier = { ...master, bootId: "boot-0", forks: yield* processes.forkCount, newestPid: master.pid }
          const pidfile = makePidfile(`${master.pid}\n`, earlier)
          yield* table.exit(master.pid)
          yield* expectLeftAlone(pidfile.path, logs, "its identity record is from an earlier boot")
        })
      ))
  })

  // pid_max 1000: the master is PID 300, the counter stood at 302 (its two
  // workers), so PID 300 comes round again after 1000 - 302 PIDs: 698, half of it 349.
  it.effect.each([[348, "stopped"], [349, "left alone"]] as const)(
    "%i processes created since the claim, with 349 allowed: the workers are %s",
    ([created, fate]) =>
      simulate((logs) =>
        Effect.gen(function*() {
          const table = yield* ProcessTable
          const { pidfile, workers } = yield* orphanedJob()
          for (let n = 0; n < created; n++) yield* Effect.flatMap(table.spawn(), ({ pid }) => table.exit(pid))
          const fiber = yield* startKill(pidfile.path)
          yield* TestClock.adjust(Duration.seconds(2))
          expect(yield* Fiber.join(fiber)).toMatchObject({ _tag: "Stale" })
          const signalled = yield* table.signalsTo(workers[0]!)
          if (fate === "stopped") expect(signalled).toEqual([[0, "SIGTERM"], [2_000, "SIGKILL"]])
          else {
            expect(signalled).toEqual([])
            expect(logs.join("\n")).toContain(`349 processes were created since the claim, enough for PID 300 to have been handed out again`)
          }
        }), { pidMax: 1000 })
  )
})

describe("staleJobMembers: what status --tree lists for a stale pidfile", () => {
  it.effect("the workers kill --tree would stop, as it would find them", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { master, pidfile, workers } = yield* orphanedJob()
        expect(yield* staleJobMembers(pidfile.path, master, { callerUid: 0, callerPids: [] })).toEqual(Either.right({
          members: workers.map((pid) => ({ pid, command: "worker", via: `in session ${master}` })),
          leftOut: []
        }))
        expect(yield* allSignals).toEqual([])
      })
    ))

  it.effect("or why it would stop nothing", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { master, pidfile } = yield* orphanedJob({ counter: false })
        const listed = yield* staleJobMembers(pidfile.path, master, { callerUid: 0, callerPids: [] })
        expect(Either.getLeft(listed)).toEqual(Option.some(
          "its identity record (written by an older sipid) does not say where the PID counter stood"
        ))
      })
    ))
})

describe("remainsOf", () => {
  it.effect("a process that is still running has no remains to stop", () =>
    simulate(() =>
      Effect.gen(function*() {
        const running = yield* (yield* ProcessTable).spawn()
        const remains = yield* remainsOf(running, Option.none(), { excluded: [], mayStop: () => true })
        expect(remains).toEqual(Either.left(`process ${running.pid} is still running`))
      })
    ))
})

describe("pidsBeforeReuse: how far the PID counter must go before a PID comes round again", () => {
  it("a PID above the counter: the distance up to it", () => {
    expect(pidsBeforeReuse(5_000, 4_000, 32_768)).toBe(1_000)
  })
  it("the newest PID itself, or one below the counter: up to pid_max, then from 300", () => {
    expect(pidsBeforeReuse(4_000, 4_000, 32_768)).toBe(32_768 - 300)
    expect(pidsBeforeReuse(3_000, 4_000, 32_768)).toBe(32_768 - 4_000 + 2_700)
  })
  it("a PID below 300 is never handed out again once passed (the counter restarts at 300)", () => {
    expect(pidsBeforeReuse(120, 4_000, 32_768)).toBe(Infinity)
    expect(pidsBeforeReuse(300, 4_000, 32_768)).toBe(32_768 - 4_000)
  })
})
