/**
 * What tree discovery stands on: parsing /proc/PID/stat, who may be a
 * member at all, and the process tables' lineage (the simulated one under
 * TestClock, the live one against processes this test starts, on the live
 * clock; none of them is ever signalled by sipid here).
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber, Layer, Option, Schedule, TestClock } from "effect"
import { spawn } from "node:child_process"
import { once } from "node:events"
import { readFile } from "node:fs/promises"
import { LibcLive } from "../../src/native/Libc.js"
import { parseLineage } from "../../src/process/lineageLive.js"
import type { Pid } from "../../src/process/Pid.js"
import { type ProcessLineage, Processes } from "../../src/process/Processes.js"
import * as ProcessesLive from "../../src/process/ProcessesLive.js"
import * as ProcessesTest from "../../src/process/ProcessesTest.js"
import { ProcessTable, Reaction, type SpawnSpec } from "../../src/process/ProcessesTest.js"
import { discover, type Discovery, jobOf, mayBeMember, type Member } from "../../src/process/tree.js"
import { settled } from "./support/simulation.js"

/** A stat line: fields 3 onwards as given, the rest filled in. */
const statLine = (head: string, fields: Record<number, string>) => {
  const rest = Array.from({ length: 50 }, (_, index) => fields[index + 3] ?? "0")
  return `${head} ${rest.join(" ")}`
}

describe("parseLineage", () => {
  it("reads state, parent, group, session, start time and a command name holding spaces and ') Z 1 ('", () => {
    const line = statLine("4242 (a) Z 1 (b c)", { 3: "S", 4: "17", 5: "4240", 6: "4200", 9: "4194560", 20: "3", 22: "987654" })
    expect(parseLineage(line)).toEqual({
      pid: 4242,
      command: "a) Z 1 (b c",
      state: "S",
      parent: 17,
      processGroup: 4240,
      session: 4200,
      kernelThread: false,
      startTicks: 987654,
      threads: 3
    })
  })

  it("PF_KTHREAD (0x200000) in the flags marks a kernel thread, whatever the other bits", () => {
    expect(parseLineage(statLine("2 (kthreadd)", { 3: "S", 9: String(0x200040) }))?.kernelThread).toBe(true)
    expect(parseLineage(statLine("2 (kthreadd)", { 3: "S", 9: String(0x80200000 + 0x40) }))?.kernelThread).toBe(true)
    expect(parseLineage(statLine("9 (x)", { 3: "S", 9: String(0x80000000 + 0x400000) }))?.kernelThread).toBe(false)
  })

  it("shows control characters in a command name escaped: a process names itself, and a newline must not forge a line", () => {
    expect(parseLineage(statLine("7 (x\n  1 init (m)", { 3: "S" }))?.command).toBe("x\\n  1 init (m")
  })

  it("refuses lines without parentheses, numbers or a state", () => {
    expect(parseLineage("42 no parentheses S 1 2 3")).toBeUndefined()
    expect(parseLineage("42 (x) S 1 2")).toBeUndefined()
    expect(parseLineage(statLine("42 (x)", { 3: "S", 4: "-1" }))).toBeUndefined()
  })
})

const lineage = (fields: Partial<Omit<ProcessLineage, "identity">> & { pid: number; startTicks?: number; bootId?: string }): ProcessLineage => ({
  identity: { pid: fields.pid as Pid, startTicks: fields.startTicks ?? 100, bootId: fields.bootId ?? "b" },
  command: "x",
  state: "S",
  parent: 1,
  processGroup: fields.pid,
  session: fields.pid,
  kernelThread: false,
  threads: 1,
  ...fields
})

describe("mayBeMember", () => {
  const main = lineage({ pid: 500, startTicks: 100 })
  it("a later process of the same boot may be; one started with the main process (same tick) too", () => {
    expect(mayBeMember(main, lineage({ pid: 501, startTicks: 101 }), [])).toBe(true)
    expect(mayBeMember(main, lineage({ pid: 501, startTicks: 100 }), [])).toBe(true)
  })
  it("never: older than the main process, another boot, a kernel thread, excluded, a zombie", () => {
    expect(mayBeMember(main, lineage({ pid: 501, startTicks: 99 }), [])).toBe(false)
    expect(mayBeMember(main, lineage({ pid: 501, startTicks: 200, bootId: "other" }), [])).toBe(false)
    expect(mayBeMember(main, lineage({ pid: 501, startTicks: 200, kernelThread: true }), [])).toBe(false)
    expect(mayBeMember(main, lineage({ pid: 501, startTicks: 200 }), [7 as Pid, 501 as Pid])).toBe(false)
    expect(mayBeMember(main, lineage({ pid: 501, startTicks: 200, state: "Z" }), [])).toBe(false)
  })
  it("a process whose first thread exited shows Z but runs while it has other threads: still a member", () => {
    expect(mayBeMember(main, lineage({ pid: 501, startTicks: 200, state: "Z", threads: 2 }), [])).toBe(true)
  })
})

/** Opens a process the test knows is alive. */
const opened = (pid: Pid) =>
  Effect.flatMap(Processes, (processes) => processes.open(pid)).pipe(
    Effect.flatMap((handle) => (handle._tag === "Open" ? Effect.succeed(handle) : Effect.dieMessage(`process ${pid} is gone`)))
  )

const simulated = <A, E>(effect: Effect.Effect<A, E, Processes | ProcessTable>) => effect.pipe(Effect.provide(ProcessesTest.layer()))

describe("discover, by session after the main process exited", () => {
  /** A session-leading master with a daemon in its session that no longer descends from it, then the master's exit. */
  const orphanedSession = Effect.gen(function*() {
    const table = yield* ProcessTable
    const processes = yield* Processes
    const master = yield* table.spawn({ command: "master" })
    const handle = yield* opened(master.pid)
    const main = Option.getOrThrow(yield* processes.lineage(master.pid))
    const daemon = yield* table.spawn({ parent: 1, session: master.pid, processGroup: master.pid, command: "daemon" })
    yield* table.exit(master.pid)
    const job = { main: { handle, lineage: main, via: "main" }, excluded: [], mayStop: () => true }
    const found = Effect.map(Effect.scoped(discover(job, [], { scan: true })), ({ found }) => found.map((member) => member.handle.identity.pid))
    return { master, daemon, found }
  })

  it.effect("finds a process still in the session while the main process's PID names nobody", () =>
    simulated(Effect.scoped(Effect.gen(function*() {
      const { daemon, found } = yield* orphanedSession
      expect(yield* found).toEqual([daemon.pid])
    }))))

  it.effect("finds nobody once a stranger holds the main process's PID: the session may be the stranger's own", () =>
    simulated(Effect.scoped(Effect.gen(function*() {
      const table = yield* ProcessTable
      const { found, master } = yield* orphanedSession
      // As the kernel would allow only once the session emptied: a new process at the PID, leading a session of that ID.
      yield* table.spawn({ pid: master.pid, parent: 1, command: "stranger" })
      expect(yield* found).toEqual([])
    }))))
})

describe("ProcessesTest lineage", () => {
  it.effect("a fork inherits session and group; children lists it; its parent's exit re-parents it to init", () =>
    simulated(Effect.gen(function*() {
      const table = yield* ProcessTable
      const processes = yield* Processes
      const master = yield* table.spawn({ command: "master" })
      const worker = yield* table.spawn({ parent: master.pid, command: "worker" })
      const read = (pid: Pid) => Effect.map(processes.lineage(pid), Option.getOrThrow)
      expect(yield* read(worker.pid)).toMatchObject({ parent: master.pid, session: master.pid, processGroup: master.pid, command: "worker" })
      expect(yield* processes.children(master.pid)).toEqual([worker.pid])
      yield* table.exit(master.pid)
      expect((yield* read(worker.pid)).parent).toBe(1)
      expect(yield* processes.children(master.pid)).toEqual([])
      expect(yield* processes.allPids).toEqual([worker.pid])
    })))

  it.effect("an orphan goes to the nearest live subreaper above its parent", () =>
    simulated(Effect.gen(function*() {
      const table = yield* ProcessTable
      const processes = yield* Processes
      const reaper = yield* table.spawn({ subreaper: true })
      const middle = yield* table.spawn({ parent: reaper.pid })
      const child = yield* table.spawn({ parent: middle.pid })
      yield* table.exit(middle.pid)
      expect(Option.getOrThrow(yield* processes.lineage(child.pid)).parent).toBe(reaper.pid)
    })))

  it.effect("newestPid moves with every process and thread created", () =>
    simulated(Effect.gen(function*() {
      const table = yield* ProcessTable
      const processes = yield* Processes
      const first = yield* table.spawn()
      expect(yield* processes.newestPid).toBe(first.pid)
      const thread = yield* table.spawnThread(first.pid)
      expect(yield* processes.newestPid).toBe(thread.pid)
    })))

  it.effect("newestPidAfter waits, checking every interval, until a process is created", () =>
    simulated(Effect.gen(function*() {
      const table = yield* ProcessTable
      const processes = yield* Processes
      const seen = yield* processes.newestPid
      const waiting = yield* Effect.fork(processes.newestPidAfter(seen, Duration.millis(250)))
      yield* TestClock.adjust(Duration.seconds(5))
      expect(waiting.unsafePoll()).toBeNull()
      const worker = yield* table.spawn()
      // Not before the next check.
      yield* TestClock.adjust(Duration.millis(100))
      expect(waiting.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.millis(150))
      expect(yield* settled(waiting)).toBe(worker.pid)
      // Already moved: at once.
      expect(yield* processes.newestPidAfter(seen, Duration.hours(1))).toBe(worker.pid)
    })))

  it.effect("exitedAmong waits for the first exit among many, or the timeout", () =>
    simulated(Effect.gen(function*() {
      const table = yield* ProcessTable
      const processes = yield* Processes
      const slow = yield* table.spawn({ behaviour: { onSignal: { SIGTERM: Reaction.exit("3 seconds") } } })
      const fast = yield* table.spawn({ behaviour: { onSignal: { SIGTERM: Reaction.exit("1 second") } } })
      const handles = yield* Effect.forEach([slow, fast], ({ pid }) => opened(pid))
      for (const handle of handles) yield* handle.signal("SIGTERM")
      expect(yield* processes.exitedAmong(handles, Duration.zero)).toEqual([])
      const waiting = yield* Effect.fork(processes.exitedAmong(handles, Duration.seconds(10)))
      yield* TestClock.adjust(Duration.seconds(1))
      expect(yield* settled(waiting)).toEqual([handles[1]])
    }).pipe(Effect.scoped)))
})

describe("ProcessesLive lineage (real processes this test starts)", () => {
  const live = ProcessesLive.layer().pipe(Layer.provide(Layer.merge(LibcLive, NodeFileSystem.layer)))

  it.live("a shell's child: lineage, children, and exitedAmong on both once the shell is killed", () =>
    Effect.gen(function*() {
      const processes = yield* Processes
      // The shell prints its child's PID, then waits; `exec` would make the shell the sleep itself.
      const shell = spawn("bash", ["-c", "sleep 30 & echo $!; wait"], { stdio: ["ignore", "pipe", "ignore"] })
      yield* Effect.addFinalizer(() => Effect.sync(() => shell.kill("SIGKILL")))
      const [chunk] = yield* Effect.promise(() => once(shell.stdout!, "data"))
      const child = Number(String(chunk).trim()) as Pid
      yield* Effect.addFinalizer(() => Effect.sync(() => process.kill(child, "SIGKILL")))
      const shellPid = shell.pid! as Pid

      // Until its exec, the child is a copy of the shell.
      const childLineage = yield* Effect.map(processes.lineage(child), Option.getOrThrow).pipe(
        Effect.filterOrFail((found) => found.command === "sleep"),
        Effect.retry(Schedule.spaced("5 millis"))
      )
      expect(childLineage).toMatchObject({ parent: shellPid, kernelThread: false })
      expect(childLineage.state).not.toBe("Z")
      expect(childLineage.session).toBe(Option.getOrThrow(yield* processes.lineage(shellPid)).session)
      expect(yield* processes.children(shellPid)).toEqual([child])
      expect(yield* processes.allPids).toEqual(expect.arrayContaining([shellPid, child]))
      const seen = yield* processes.newestPid
      const created = yield* Effect.fork(processes.newestPidAfter(seen, Duration.millis(10)))
      spawn("true").unref()
      expect(yield* Fiber.join(created)).not.toBe(seen)

      const handles = yield* Effect.forEach([shellPid, child], opened)
      expect(yield* processes.exitedAmong(handles, Duration.zero)).toEqual([])
      const waiting = yield* Effect.fork(processes.exitedAmong(handles, Duration.seconds(10)))
      shell.kill("SIGKILL")
      expect(yield* Fiber.join(waiting)).toEqual([handles[0]])
      // The orphan went to init or a subreaper, never stays with its dead parent.
      expect(Option.getOrThrow(yield* processes.lineage(child)).parent).not.toBe(shellPid)
      expect(yield* processes.lineage(99_999_999 as Pid)).toEqual(Option.none())
    }).pipe(Effect.scoped, Effect.provide(live)))

  it.live("children lists a child forked by a thread other than the main one (a JVM's helpers)", () =>
    Effect.gen(function*() {
      const processes = yield* Processes
      const script = "import os, threading, time\n" +
        "def run():\n" +
        "    child = os.fork()\n" +
        "    if child == 0:\n" +
        "        time.sleep(30); os._exit(0)\n" +
        "    print(child, flush=True)\n" +
        "    time.sleep(30)\n" +
        "threading.Thread(target=run).start()\n" +
        "time.sleep(30)\n"
      const python = spawn("python3", ["-W", "ignore", "-c", script], { stdio: ["ignore", "pipe", "ignore"] })
      yield* Effect.addFinalizer(() => Effect.sync(() => python.kill("SIGKILL")))
      const [chunk] = yield* Effect.promise(() => once(python.stdout!, "data"))
      const child = Number(String(chunk).trim()) as Pid
      yield* Effect.addFinalizer(() => Effect.sync(() => process.kill(child, "SIGKILL")))
      expect(yield* processes.children(python.pid! as Pid)).toEqual([child])
    }).pipe(Effect.scoped, Effect.provide(live)))

  it.live("interrupted waits free their pool threads at once: five exitedAmong and five awaitExit, for ever, interrupted, leave the pool free", () =>
    Effect.gen(function*() {
      const processes = yield* Processes
      const sleeper = spawn("sleep", ["30"], { stdio: "ignore" })
      yield* Effect.addFinalizer(() => Effect.sync(() => sleeper.kill("SIGKILL")))
      const handle = yield* opened(sleeper.pid! as Pid)
      // libuv has four pool threads: five blocked polls would starve every file read after them.
      const waits = yield* Effect.forEach(
        Array.from({ length: 10 }),
        (_, index) => Effect.fork(index % 2 === 0 ? processes.exitedAmong([handle], Duration.infinity) : handle.awaitExit)
      )
      yield* Effect.sleep("50 millis")
      yield* Effect.forEach(waits, Fiber.interrupt)
      const read = yield* Effect.promise(() => readFile("/proc/self/stat", "utf8")).pipe(Effect.timeout("2 seconds"))
      expect(read).toContain("(")
    }).pipe(Effect.scoped, Effect.provide(live)))
})

describe("discover, against a table that changes during the round", () => {
  /** A session-leading master, alive, as the job's main member. */
  const mainMember = (spec: SpawnSpec = {}) =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const processes = yield* Processes
      const master = yield* table.spawn({ command: "master", ...spec })
      const handle = yield* opened(master.pid)
      const main: Member = { handle, lineage: Option.getOrThrow(yield* processes.lineage(master.pid)), via: "main" }
      return { master, main, job: { main, excluded: [], mayStop: () => true } }
    })

  /** `Processes` whose `open` first runs `before` on the PID being opened (the race a real kernel allows). */
  const racingOpen = (before: (pid: Pid) => Effect.Effect<void>) =>
    Effect.map(Processes, (processes) =>
      Layer.succeed(Processes, { ...processes, open: (pid) => Effect.zipRight(before(pid), processes.open(pid)) }))

  const pidsOf = ({ found }: Discovery) => found.map((member) => member.handle.identity.pid)

  it.effect.each([
    ["changes hands", (table: typeof ProcessTable.Service, pid: Pid) => Effect.asVoid(table.reuse(pid, { parent: 1, command: "newcomer" }))],
    ["exits", (table: typeof ProcessTable.Service, pid: Pid) => table.exit(pid)]
  ] as const)("a child whose PID %s between its lineage read and its pidfd is no member, and nobody is signalled", ([, race]) =>
    simulated(Effect.scoped(Effect.gen(function*() {
      const table = yield* ProcessTable
      const { job, main, master } = yield* mainMember()
      const worker = yield* table.spawn({ parent: master.pid, command: "worker" })
      const raced: Array<Pid> = []
      const racing = yield* racingOpen((pid) => pid === worker.pid ? Effect.zipRight(race(table, pid), Effect.sync(() => raced.push(pid))) : Effect.void)
      const found = yield* discover(job, [main], { scan: true }).pipe(Effect.provide(racing))
      expect(raced).toEqual([worker.pid])
      expect(pidsOf(found)).toEqual([])
      expect(yield* table.events).toEqual([])
    }))))

  it.effect("a child that exits between its parent's children list and its lineage read is skipped; its sibling is still found", () =>
    simulated(Effect.scoped(Effect.gen(function*() {
      const table = yield* ProcessTable
      const processes = yield* Processes
      const { job, main, master } = yield* mainMember({ session: 77, processGroup: 77 })
      const [brief, sibling] = yield* Effect.forEach(["brief", "sibling"], (command) => table.spawn({ parent: master.pid, command }))
      const racing = Layer.succeed(Processes, {
        ...processes,
        lineage: (pid: Pid) => Effect.zipRight(pid === brief!.pid ? table.exit(pid) : Effect.void, processes.lineage(pid))
      })
      expect(pidsOf(yield* discover(job, [main], { scan: false }).pipe(Effect.provide(racing)))).toEqual([sibling!.pid])
    }))))

  it.effect("a child listed by a parent that exits during the round is not adopted in that round: the list may be a stranger's", () =>
    simulated(Effect.scoped(Effect.gen(function*() {
      const table = yield* ProcessTable
      const { job, main, master } = yield* mainMember()
      const worker = yield* table.spawn({ parent: master.pid, command: "worker" })
      const racing = yield* racingOpen((pid) => pid === worker.pid ? table.exit(master.pid) : Effect.void)
      expect(pidsOf(yield* discover(job, [main], { scan: false }).pipe(Effect.provide(racing)))).toEqual([])
      // The same child, its parent alive through the round: adopted.
      const { job: liveJob, main: liveMain, master: liveMaster } = yield* mainMember()
      const liveWorker = yield* table.spawn({ parent: liveMaster.pid, command: "worker" })
      expect(pidsOf(yield* discover(liveJob, [liveMain], { scan: false }))).toEqual([liveWorker.pid])
    }))))

  /**
   * A master (session leader) with a worker that is already a member, the
   * worker's new child, and a daemon in the session that descends from
   * neither; then `after` happens to the master.
   */
  const sessionAndChild = (after: (master: Pid) => Effect.Effect<unknown>) =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const { job, main, master } = yield* mainMember()
      const worker = yield* table.spawn({ parent: master.pid, command: "worker" })
      const workerMember: Member = { handle: yield* opened(worker.pid), lineage: Option.getOrThrow(yield* (yield* Processes).lineage(worker.pid)), via: `child of ${master.pid}` }
      const child = yield* table.spawn({ parent: worker.pid, command: "child" })
      const daemon = yield* table.spawn({ parent: 1, session: master.pid, processGroup: master.pid, command: "daemon" })
      yield* after(master.pid)
      return { child: child.pid, daemon: daemon.pid, found: Effect.map(discover(job, [main, workerMember], { scan: true }), pidsOf) }
    })

  it.effect("a scan's finds are dropped, a child's kept, in the same round, once a stranger holds the main process's PID", () =>
    simulated(Effect.scoped(Effect.gen(function*() {
      const table = yield* ProcessTable
      const { child, found } = yield* sessionAndChild((master) =>
        Effect.zipRight(table.exit(master), table.spawn({ pid: master, parent: 1, command: "stranger" })))
      expect(yield* found).toEqual([child])
    }))))

  it.effect.each([
    ["alive", (_: typeof ProcessTable.Service, _master: Pid) => Effect.void],
    ["a zombie", (table: typeof ProcessTable.Service, master: Pid) => table.exit(master, "Zombie")],
    ["nobody", (table: typeof ProcessTable.Service, master: Pid) => table.exit(master)]
  ] as const)("a scan's finds are kept while the main process's PID names it (%s)", ([, after]) =>
    simulated(Effect.scoped(Effect.gen(function*() {
      const table = yield* ProcessTable
      const { child, daemon, found } = yield* sessionAndChild((master) => after(table, master))
      expect(yield* found).toEqual([child, daemon])
    }))))

  it.effect("a child that may not be a member (started before the main process) is not adopted, though its parent lists it", () =>
    simulated(Effect.scoped(Effect.gen(function*() {
      const table = yield* ProcessTable
      const { job, main, master } = yield* mainMember({ startTicks: 5_000 })
      yield* table.spawn({ parent: master.pid, startTicks: 4_999, command: "older" })
      expect(pidsOf(yield* discover(job, [main], { scan: true }))).toEqual([])
    }))))

  it.effect.each([
    [40, []],
    [41, ["worker"]]
  ] as const)("with 20 ms reads, a look with %d ms to go pins the child it read by 40 ms only if the deadline is still ahead then (at it counts as passed)", ([until, expected]) =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      // Every read takes 20 ms of the clock, so the setup runs forked too.
      const looking = yield* Effect.fork(Effect.gen(function*() {
        const { job, main, master } = yield* mainMember()
        const worker = yield* table.spawn({ parent: master.pid, command: "worker" })
        // From now: reading children takes 0-20 ms, the worker's lineage 20-40 ms, opening it 40-60 ms.
        const now = yield* Clock.currentTimeMillis
        return { worker, found: yield* discover(job, [main], { scan: false, until: now + until }) }
      }))
      yield* TestClock.adjust(Duration.seconds(1))
      const { found, worker } = yield* settled(looking)
      expect(pidsOf(found)).toEqual(expected.map(() => worker.pid))
    }).pipe(Effect.scoped, Effect.provide(ProcessesTest.layer({ readTime: "20 millis" }))))

  it.effect("a main process that leads its session but not its group: the scan still finds the session's daemon", () =>
    simulated(Effect.scoped(Effect.gen(function*() {
      const table = yield* ProcessTable
      const { job, main, master } = yield* mainMember({ processGroup: 77 })
      const daemon = yield* table.spawn({ parent: 1, session: master.pid, processGroup: 77, command: "daemon" })
      expect(pidsOf(yield* discover(job, [main], { scan: true }))).toEqual([daemon.pid])
    }))))

  it.effect("a main process that leads neither: its children only, never its session's or group's other processes, and /proc is not scanned", () =>
    simulated(Effect.scoped(Effect.gen(function*() {
      const table = yield* ProcessTable
      const processes = yield* Processes
      const { job, main, master } = yield* mainMember({ session: 77, processGroup: 77 })
      const worker = yield* table.spawn({ parent: master.pid, command: "worker" })
      yield* table.spawn({ parent: 1, session: 77, processGroup: 77, command: "neighbour" })
      // A scan reads every process's stat: wasted when no session or group can be the job's.
      let scans = 0
      const counting = Layer.succeed(Processes, { ...processes, allPids: Effect.suspend(() => (scans++, processes.allPids)) })
      expect(pidsOf(yield* Effect.provide(discover(job, [main], { scan: true }), counting))).toEqual([worker.pid])
      expect(scans).toBe(0)
    }))))

  it.effect.each([
    ["changed hands", (table: typeof ProcessTable.Service, pid: Pid) => Effect.asVoid(table.reuse(pid))],
    ["became a zombie", (table: typeof ProcessTable.Service, pid: Pid) => table.exit(pid, "Zombie")]
  ] as const)("jobOf: no job for a main process whose PID %s after it was opened", ([, after]) =>
    simulated(Effect.scoped(Effect.gen(function*() {
      const table = yield* ProcessTable
      const { main, master } = yield* mainMember()
      expect(Option.isSome(yield* jobOf(main.handle, { excluded: [], mayStop: () => true }))).toBe(true)
      yield* after(table, master.pid)
      expect(yield* jobOf(main.handle, { excluded: [], mayStop: () => true })).toEqual(Option.none())
    }))))
})
