/**
 * `status --tree` on the simulated process table and files: the job as
 * `kill --tree` would find it, and the owner rule `kill --tree` applies to
 * every member.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Logger, LogLevel, TestClock } from "effect"
import { kill } from "../../src/pidfile/kill.js"
import * as PidfileFilesTest from "../../src/pidfile/PidfileFilesTest.js"
import { SimulatedFiles } from "../../src/pidfile/PidfileFilesTest.js"
import { PidfileStatus, status } from "../../src/pidfile/status.js"
import { describeJob, describeMembers, jobMembers, type JobMembersOptions } from "../../src/pidfile/statusTree.js"
import type { Pid } from "../../src/process/Pid.js"
import { Processes, type ProcessUids } from "../../src/process/Processes.js"
import * as ProcessesTest from "../../src/process/ProcessesTest.js"
import { ProcessTable } from "../../src/process/ProcessesTest.js"
import { captureLogs, settled } from "./support/simulation.js"

const path = "/var/vcap/sys/run/pool/pool.pid"
const nobody = 65534
const TestLayers = Layer.merge(PidfileFilesTest.layer, ProcessesTest.layer())

/** As root, with no process of the table taken for the caller. */
const asRoot: JobMembersOptions = { callerUid: 0, callerPids: [] }

/** A session-leading master (a ctl script's setsid) with a worker of each of `workerUids`. */
const job = (master: { readonly uids?: ProcessUids } = {}, ...workerUids: ReadonlyArray<ProcessUids>) =>
  Effect.gen(function*() {
    const table = yield* ProcessTable
    const { pid } = yield* table.spawn({ command: "master", ...master })
    const workers: Array<Pid> = []
    for (const uids of workerUids) workers.push((yield* table.spawn({ parent: pid, command: "worker", uids })).pid)
    return { master: pid, workers }
  })

const pids = (members: { readonly members: ReadonlyArray<{ readonly pid: number }> }) => members.members.map(({ pid }) => pid)

describe("jobMembers: what kill --tree would signal now", () => {
  it.effect("the main process first, then its children and what is in its session or group, each with how it belongs", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const { master, workers } = yield* job({}, { real: 0, effective: 0, saved: 0 })
      // In a session and group of its own: found only as its parent's child.
      const grandchild = yield* table.spawn({ parent: workers[0]!, session: 1, processGroup: 1, command: "helper" })
      const daemon = yield* table.spawn({ session: master, processGroup: 1, command: "daemon" })
      const inGroup = yield* table.spawn({ session: 1, processGroup: master, command: "grouped" })
      expect(yield* jobMembers(master, asRoot)).toEqual({
        members: [
          { pid: master, command: "master", state: "S", via: "main" },
          { pid: workers[0], command: "worker", state: "S", via: `child of ${master}` },
          { pid: daemon.pid, command: "daemon", state: "S", via: `in session ${master}` },
          { pid: inGroup.pid, command: "grouped", state: "S", via: `in process group ${master}` },
          { pid: grandchild.pid, command: "helper", state: "S", via: `child of ${workers[0]}` }
        ],
        leftOut: []
      })
    }).pipe(Effect.provide(TestLayers)))

  it.effect("never the stopper or its parent, nor a process older than the main process", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const older = yield* table.spawn({ command: "older" })
      const { master, workers } = yield* job({}, { real: 0, effective: 0, saved: 0 }, { real: 0, effective: 0, saved: 0 })
      yield* table.reuse(older.pid, { session: master, processGroup: master, startTicks: 1, command: "older" })
      expect(pids(yield* jobMembers(master, { ...asRoot, callerPids: [workers[1]!] }))).toEqual([master, workers[0]])
    }).pipe(Effect.provide(TestLayers)))

  it.effect("by default never this process or its parent (sipid itself, or what started it)", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const { master } = yield* job()
      const worker = yield* table.spawn({ parent: master, command: "worker" })
      yield* table.spawn({ pid: process.pid as Pid, parent: master, command: "sipid" })
      yield* table.spawn({ pid: process.ppid as Pid, parent: master, command: "ctl" })
      expect(pids(yield* jobMembers(master, { callerUid: 0 }))).toEqual([master, worker.pid])
    }).pipe(Effect.provide(TestLayers)))

  it.effect("none once the main process has exited, or is a zombie", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const exited = yield* job({}, { real: 0, effective: 0, saved: 0 })
      const zombie = yield* job({}, { real: 0, effective: 0, saved: 0 })
      yield* table.exit(exited.master)
      yield* table.exit(zombie.master, "Zombie")
      expect(yield* jobMembers(exited.master, asRoot)).toEqual({ members: [], leftOut: [] })
      expect(yield* jobMembers(zombie.master, asRoot)).toEqual({ members: [], leftOut: [] })
    }).pipe(Effect.provide(TestLayers)))

  it.effect("none when the main process becomes a zombie right after it was opened", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const processes = yield* Processes
      const { master } = yield* job({}, { real: 0, effective: 0, saved: 0 })
      const diesWhenOpened = { ...processes, open: (pid: Pid) => Effect.tap(processes.open(pid), () => table.exit(pid, "Zombie")) }
      expect(yield* jobMembers(master, asRoot).pipe(Effect.provideService(Processes, diesWhenOpened))).toEqual({ members: [], leftOut: [] })
    }).pipe(Effect.provide(TestLayers)))
})

describe("jobMembers: the pidfile owner's rule, as kill --tree applies it", () => {
  const root: ProcessUids = { real: 0, effective: 0, saved: 0 }
  const nobodys: ProcessUids = { real: nobody, effective: nobody, saved: nobody }
  /** Effective uid nobody, real and saved uid 0: it can get root back, and nobody cannot signal it. */
  const droppedForNow: ProcessUids = { real: 0, effective: nobody, saved: 0 }
  const savedNobody: ProcessUids = { real: 0, effective: 0, saved: nobody }

  it.effect("as root, with a pidfile owned by nobody: only the members nobody could signal (real or saved uid), the rest left out and logged", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const { master, workers } = yield* job({ uids: nobodys }, nobodys, droppedForNow, savedNobody, root)
      const found = yield* jobMembers(master, { ...asRoot, pidfileOwner: nobody }).pipe(Effect.provide(captureLogs(logs)))
      expect(found).toEqual({
        members: [
          { pid: master, command: "master", state: "S", via: "main" },
          { pid: workers[0], command: "worker", state: "S", via: `child of ${master}` },
          { pid: workers[2], command: "worker", state: "S", via: `child of ${master}` }
        ],
        leftOut: [workers[1], workers[3]]
      })
      expect(logs).toContain(`WARN process ${workers[1]} (worker) is child of ${master} but its owner could not signal it; left alone`)
      expect(describeJob(master, nobody, found)).toBe(
        `job of process ${master}: 3 process(es): ${master}, ${workers[0]}, ${workers[2]}; 2 left out, which the pidfile's owner (uid ${nobody}) could not signal, so a stop of the tree leaves them alone: ${workers[1]}, ${
          workers[3]
        }`
      )
    }).pipe(Effect.provide(TestLayers)))

  it.effect("a main process the owner could not signal: nothing, as kill refuses the pidfile", () =>
    Effect.gen(function*() {
      const { master } = yield* job({ uids: droppedForNow }, nobodys)
      const found = yield* jobMembers(master, { ...asRoot, pidfileOwner: nobody })
      expect(found).toEqual({ members: [], leftOut: [master] })
      expect(describeJob(master, nobody, found)).toBe(
        `job of process ${master}: 0 process(es); the pidfile's owner (uid ${nobody}) could not signal process ${master}, so kill would refuse the pidfile and signal nothing`
      )
    }).pipe(Effect.provide(TestLayers)))

  it.effect("a root-owned pidfile (the default) names anyone; a caller that is not root is left to the kernel", () =>
    Effect.gen(function*() {
      const { master, workers } = yield* job({ uids: droppedForNow }, nobodys, root)
      expect(yield* jobMembers(master, asRoot)).toEqual(expect.objectContaining({ leftOut: [] }))
      expect(pids(yield* jobMembers(master, { callerUid: 1000, callerPids: [], pidfileOwner: nobody }))).toEqual([master, ...workers])
    }).pipe(Effect.provide(TestLayers)))

  it.effect.skipIf(process.getuid?.() !== 0)("the caller is this process by default (run as root: the owner rule applies)", () =>
    Effect.gen(function*() {
      const { master, workers } = yield* job({ uids: nobodys }, nobodys, root)
      expect(yield* jobMembers(master, { callerPids: [], pidfileOwner: nobody })).toEqual(expect.objectContaining({ leftOut: [workers[1]] }))
    }).pipe(Effect.provide(TestLayers)))

  it.effect("status carries the pidfile's owner, and --tree lists exactly the processes kill --tree then signals", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const files = yield* SimulatedFiles
      const { master, workers } = yield* job(
        { uids: nobodys },
        nobodys,
        droppedForNow,
        savedNobody
      )
      yield* files.put(path, "file", `${master}\n`, { uid: nobody })
      const current = yield* status(path)
      expect(current).toEqual(PidfileStatus.Running({ pid: master, owner: nobody }))
      const listed = yield* jobMembers(master, { ...asRoot, pidfileOwner: nobody })

      const stopping = yield* Effect.fork(kill({ path, callerUid: 0, callerPids: [], tree: {} }).pipe(Logger.withMinimumLogLevel(LogLevel.None)))
      yield* TestClock.adjust(Duration.seconds(30))
      expect(yield* settled(stopping)).toMatchObject({ _tag: "Stopped", pid: master })
      const signalled: Array<number> = []
      for (const pid of [master, ...workers]) if ((yield* table.signalsTo(pid)).length > 0) signalled.push(pid)
      expect(signalled).toEqual(pids(listed))
      expect(listed.leftOut).toEqual([workers[1]])
    }).pipe(Effect.provide(TestLayers)))
})

describe("describeMembers and describeJob: the lines status --tree prints and logs", () => {
  it("one indented line per member, PID, command name (escaped, as /proc's is read) and how it belongs", () => {
    expect(
      describeMembers([
        { pid: 1080 as Pid, command: "python3", state: "S", via: "main" },
        { pid: 1092 as Pid, command: "evil\\nrunning: process 1", state: "S", via: "child of 1080" }
      ])
    ).toBe("  1080 python3 (main)\n  1092 evil\\nrunning: process 1 (child of 1080)")
    expect(describeMembers([])).toBe("")
  })

  it("the members' PIDs, and nothing about the owner when no process was left out", () => {
    const members = [{ pid: 1080 as Pid, command: "python3", state: "S", via: "main" }, { pid: 1092 as Pid, command: "python3", state: "S", via: "child of 1080" }]
    expect(describeJob(1080 as Pid, 0, { members, leftOut: [] })).toBe("job of process 1080: 2 process(es): 1080, 1092")
    expect(describeJob(1080 as Pid, 0, { members: [], leftOut: [] })).toBe("job of process 1080: 0 process(es)")
  })
})
