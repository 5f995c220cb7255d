/**
 * `kill --tree` on a stale pidfile, on the simulated process table under
 * TestClock: the main process has exited, its workers live on in its
 * session, and they are stopped only while the session provably is still
 * the job's: its zombie holds the PID, or they are in the autogroup its
 * setsid made (src/process/remains.ts).
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Exit, Fiber, Logger, LogLevel, Option, TestClock } from "effect"
import { kill } from "../../src/pidfile/kill.js"
import { staleJobMembers } from "../../src/pidfile/statusTree.js"
import { Processes } from "../../src/process/Processes.js"
import { type Behaviour, ProcessTable, Reaction } from "../../src/process/ProcessesTest.js"
import { remainsOf } from "../../src/process/remains.js"
import { makePidfile, settled, simulate } from "./support/simulation.js"

const ignoresTerm: Behaviour = { onSignal: { SIGTERM: Reaction.ignore } }

/**
 * A master (session and group leader) with two workers that ignore
 * SIGTERM, claimed: its record names the autogroup its setsid made and the
 * processes created by then (unless `session` is false, as an older sipid
 * wrote it, or names the one of the two it has). Then the master dies.
 */
const orphanedJob = (
  options: { readonly session?: boolean | "forks" | "autogroup"; readonly master?: Behaviour; readonly worker?: Behaviour } = {}
) =>
  Effect.gen(function*() {
    const table = yield* ProcessTable
    const processes = yield* Processes
    const master = yield* table.spawn({ command: "master", behaviour: options.master ?? {} })
    const workers = yield* Effect.forEach([1, 2], () =>
      Effect.map(table.spawn({ parent: master.pid, command: "worker", behaviour: options.worker ?? ignoresTerm }), ({ pid }) => pid))
    const session = { forks: yield* processes.forkCount, autogroup: Option.getOrThrow(yield* processes.autogroup(master.pid)) }
    const record = options.session === false
      ? master
      : typeof options.session === "string"
      ? { ...master, [options.session]: session[options.session] }
      : { ...master, ...session }
    const pidfile = makePidfile(`${master.pid}\n`, record)
    yield* table.exit(master.pid)
    return { master: master.pid, workers, pidfile, autogroup: session.autogroup }
  })

const startKill = (path: string, tree = true) =>
  Effect.fork(kill({ callerUid: 0, callerPids: [], path, ...(tree && { tree: {} }) }).pipe(Logger.withMinimumLogLevel(LogLevel.Debug)))

/** kill --tree on the stale pidfile `path` signals nothing, and its log says `why`. */
const expectLeftAlone = (path: string, logs: ReadonlyArray<string>, why: string) =>
  Effect.gen(function*() {
    expect(yield* Effect.flatMap(startKill(path), settled)).toMatchObject({ _tag: "Stale" })
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
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stale", pid: master })
        for (const worker of workers) expect(yield* table.signalsTo(worker)).toEqual([[0, "SIGTERM"], [2_000, "SIGKILL"]])
        expect(yield* table.signalsTo(master)).toEqual([])
        expect(pidfile.exists()).toBe(false)
        expect(logs).toContain(`WARN pidfile is stale: process ${master} has exited; stopping what is left of its job`)
        expect(logs).toContain(`DEBUG job member ${workers[0]} (worker), in session ${master}`)
      })
    ))

  it.effect("a main process that is a zombie still holds its PID: its session is stopped even without the autogroup", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { master, pidfile, workers } = yield* orphanedJob({ session: false, master: { fate: "Zombie" } })
        // Its parent outside the job never reaps it: a zombie, not re-parented to init.
        expect((yield* (yield* Processes).inspect(master))._tag).toBe("Zombie")
        const fiber = yield* startKill(pidfile.path)
        yield* TestClock.adjust(Duration.seconds(2))
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stale" })
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
        expect(yield* Effect.flatMap(startKill(pidfile.path, false), settled)).toMatchObject({ _tag: "Stale" })
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

    it.effect.each([false, "forks", "autogroup"] as const)("a record without the session's autogroup (an older sipid's), or with only its %s", (session) =>
      simulate((logs) =>
        Effect.gen(function*() {
          const { pidfile } = yield* orphanedJob({ session })
          yield* expectLeftAlone(pidfile.path, logs, "does not name the autogroup its setsid made, which alone tells its session from a stranger's")
        })
      ))

    it.effect("a stranger took the PID once the job's session had emptied, made a session with it and left a worker in it: left alone, logged", () =>
      simulate((logs) =>
        Effect.gen(function*() {
          const table = yield* ProcessTable
          const { autogroup: ours, master, pidfile, workers } = yield* orphanedJob()
          for (const worker of workers) yield* table.exit(worker)
          // Eleven forks later the PID comes round (pid_max 1000 with most PIDs in use, or ns_last_pid, allow it).
          for (let n = 0; n < 11; n++) yield* Effect.flatMap(table.spawn(), ({ pid }) => table.exit(pid))
          const stranger = yield* table.spawn({ pid: master, command: "stranger" })
          const worker = yield* table.spawn({ parent: stranger.pid, command: "worker", behaviour: ignoresTerm })
          const theirs = Option.getOrThrow(yield* (yield* Processes).autogroup(worker.pid))
          expect(theirs).not.toBe(ours)
          yield* table.exit(stranger.pid)
          const listed = yield* staleJobMembers(pidfile.path, master, { callerUid: 0, callerPids: [] })
          expect(listed).toEqual(Either.right({ members: [], leftOut: [] }))
          yield* expectLeftAlone(
            pidfile.path,
            logs,
            `process ${worker.pid} (worker) is in session ${master} but not in autogroup ${ours}, which process ${master}'s setsid made (it is in ${theirs}): ` +
              `a session that a stranger made after taking over PID ${master}; left alone`
          )
        })
      ))

    it.effect.each([[-1, "stopped"], [0, "left alone"]] as const)(
      "2^32 - pid_max %i processes created since the claim: the workers are %s (an autogroup's number can come round only after 2^32)",
      ([more, fate]) =>
        simulate((logs) =>
          Effect.gen(function*() {
            const table = yield* ProcessTable
            const processes = yield* Processes
            const { pidfile, workers } = yield* orphanedJob()
            const created = 2 ** 32 - (yield* processes.pidMax) + more
            const forked = { ...processes, forkCount: Effect.map(processes.forkCount, (count) => count + created) }
            const fiber = yield* Effect.provideService(startKill(pidfile.path), Processes, forked)
            yield* TestClock.adjust(Duration.seconds(2))
            expect(yield* settled(fiber)).toMatchObject({ _tag: "Stale" })
            if (fate === "stopped") expect(yield* table.signalsTo(workers[0]!)).toEqual([[0, "SIGTERM"], [2_000, "SIGKILL"]])
            else {
              expect(yield* allSignals).toEqual([])
              expect(logs.join("\n")).toContain(`${created} processes were created since the claim, enough for its autogroup's number to have been handed out again`)
            }
          })
        )
    )

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
          const earlier = { ...master, bootId: "boot-0", forks: yield* processes.forkCount, autogroup: Option.getOrThrow(yield* processes.autogroup(master.pid)) }
          const pidfile = makePidfile(`${master.pid}\n`, earlier)
          yield* table.exit(master.pid)
          yield* expectLeftAlone(pidfile.path, logs, "its identity record is from an earlier boot")
        })
      ))
  })

  // The proof the autogroup replaced: fewer processes created since the claim than half the PIDs the
  // counter had to pass (from 302 round to 300: 349 with pid_max 1000). It failed when most PIDs were in use.
  it.effect("however many processes were created since the claim, with most PIDs in use, the job's own workers are stopped", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pidfile, workers } = yield* orphanedJob()
        for (let n = 0; n < 349; n++) yield* Effect.flatMap(table.spawn(), ({ pid }) => table.exit(pid))
        yield* Effect.forEach(Array.from({ length: 600 }), () => table.spawn())
        const fiber = yield* startKill(pidfile.path)
        yield* TestClock.adjust(Duration.seconds(2))
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stale" })
        for (const worker of workers) expect(yield* table.signalsTo(worker)).toEqual([[0, "SIGTERM"], [2_000, "SIGKILL"]])
      }), { pidMax: 1000 }))
})

describe("staleJobMembers: what status --tree lists for a stale pidfile", () => {
  it.effect("the workers kill --tree would stop, as it would find them", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { master, pidfile, workers } = yield* orphanedJob()
        expect(yield* staleJobMembers(pidfile.path, master, { callerUid: 0, callerPids: [] })).toEqual(Either.right({
          members: workers.map((pid) => ({ pid, command: "worker", state: "S", via: `in session ${master}` })),
          leftOut: []
        }))
        expect(yield* allSignals).toEqual([])
      })
    ))

  it.effect("or why it would stop nothing", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { master, pidfile } = yield* orphanedJob({ session: false })
        const listed = yield* staleJobMembers(pidfile.path, master, { callerUid: 0, callerPids: [] })
        expect(Either.getLeft(listed)).toEqual(Option.some(
          "its identity record (written by an older sipid, or on a kernel without autogroups) does not name the autogroup its setsid made, which alone tells its session from a stranger's"
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
