import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Layer, Logger, LogLevel, Option, TestClock } from "effect"
import { dirname } from "node:path"
import { OsError, OsSubject } from "../../src/os/OsError.js"
import { claim, claimLocked } from "../../src/pidfile/claim.js"
import { identityRecordPath } from "../../src/pidfile/identityRecord.js"
import { kill, stop } from "../../src/pidfile/kill.js"
import { lock } from "../../src/pidfile/lock.js"
import { PidfileFiles, type PidfileFilesService } from "../../src/pidfile/PidfileFiles.js"
import * as PidfileFilesTest from "../../src/pidfile/PidfileFilesTest.js"
import { SimulatedFiles } from "../../src/pidfile/PidfileFilesTest.js"
import type { Pid } from "../../src/process/Pid.js"
import { Processes } from "../../src/process/Processes.js"
import * as ProcessesTest from "../../src/process/ProcessesTest.js"
import { ProcessTable, Reaction } from "../../src/process/ProcessesTest.js"
import { captureLogs, settled } from "./support/simulation.js"

const path = "/run/job/job.pid"
const TestLayers = Layer.merge(PidfileFilesTest.layer, ProcessesTest.layer())

const setUp = Effect.all([ProcessTable, SimulatedFiles])
const contentOf = (file: string) => Effect.flatMap(SimulatedFiles, (files) => files.content(file))
const claimFor = (pid: number) => claim({ path, pid: pid as Pid })

/** Claims for `pid`, with every log line down to debug, and what the claim logged. */
const claimLogged = (pid: number) =>
  Effect.gen(function*() {
    const logs: Array<string> = []
    const outcome = yield* claimFor(pid).pipe(Effect.either, Effect.provide(captureLogs(logs)), Logger.withMinimumLogLevel(LogLevel.Debug))
    return { outcome, logs }
  })

/** What claim does before it locks, for a test that locks by itself. */
const makeDirectory = Effect.flatMap(PidfileFiles, (files) => files.makeDirectory(dirname(path)))

const diskFull = (target: string) => new OsError({ operation: "write", subject: OsSubject.File({ path: target }), code: "ENOSPC" })

/** The simulated files, with the operations `faults` returns replaced (a full disk, another tool at work). */
const withFaults = (faults: (files: PidfileFilesService, simulated: typeof SimulatedFiles.Service) => Partial<PidfileFilesService>) =>
  Layer.effect(PidfileFiles, Effect.map(Effect.all([PidfileFiles, SimulatedFiles]), ([files, simulated]) => ({ ...files, ...faults(files, simulated) })))

/** Publishing the identity record fails after `meanwhile` ran; the pidfile's own publish works. */
const recordWriteFails = (meanwhile: (simulated: typeof SimulatedFiles.Service) => Effect.Effect<void>) =>
  withFaults((files, simulated) => ({
    publish: (target, content, options) =>
      target === identityRecordPath(path) ? Effect.zipRight(meanwhile(simulated), Effect.fail(diskFull(target))) : files.publish(target, content, options)
  }))

describe("claim decides from the pidfile and the process table", () => {
  it.effect("writes the PID and its identity record to a new pidfile", () =>
    Effect.gen(function*() {
      const [table] = yield* setUp
      const me = yield* table.spawn()
      expect(yield* claimFor(me.pid)).toEqual({ _tag: "Claimed" })
      expect(yield* contentOf(path)).toEqual(Option.some(`${me.pid}\n`))
      // One process created so far, and the autogroup its setsid made (the simulated table's first).
      expect(yield* contentOf(identityRecordPath(path))).toEqual(Option.some(JSON.stringify({ ...me, forks: 1, autogroup: 1 }) + "\n"))
    }).pipe(Effect.provide(TestLayers)))

  it.effect("refuses while the recorded process is alive", () =>
    Effect.gen(function*() {
      const [table] = yield* setUp
      const owner = yield* table.spawn()
      yield* claimFor(owner.pid)
      const error = yield* Effect.flip(claimFor((yield* table.spawn()).pid))
      expect(error).toMatchObject({ _tag: "PidfileOwned", pid: owner.pid, path })
      expect(yield* contentOf(path)).toEqual(Option.some(`${owner.pid}\n`))
    }).pipe(Effect.provide(TestLayers)))

  it.effect("refuses while a process named by a pidfile without a record is alive", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const owner = yield* table.spawn()
      yield* files.put(path, "file", ` ${owner.pid}\n`)
      expect((yield* Effect.flip(claimFor((yield* table.spawn()).pid)))._tag).toBe("PidfileOwned")
    }).pipe(Effect.provide(TestLayers)))

  it.effect("is idempotent for the owner itself and changes nothing", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const me = yield* table.spawn()
      yield* claimFor(me.pid)
      const nodes = Effect.all([path, identityRecordPath(path)].map((file) => Effect.flatMap(PidfileFiles, (live) => live.nodeAt(file))))
      const before = yield* nodes
      expect(yield* claimFor(me.pid)).toEqual({ _tag: "AlreadyClaimed" })
      expect(yield* nodes).toEqual(before)
      expect(yield* files.paths).toEqual([path, identityRecordPath(path)])
    }).pipe(Effect.provide(TestLayers)))

  // Another tool (or the Go sipid) wrote the pidfile, or the record was lost: without one, a later
  // kill would take whoever reuses the PID for the job.
  it.effect.each([
    ["no record", () => Effect.void],
    ["a record of another PID", () => Effect.flatMap(SimulatedFiles, (files) => files.put(identityRecordPath(path), "file", JSON.stringify({ pid: 77, startTicks: 1, bootId: "x" })))]
  ] as const)("a pidfile that already names the claimant, with %s, gets its record, so a later kill tells a reused PID", ([, plant]) =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const me = yield* table.spawn()
      yield* files.put(path, "file", `${me.pid}\n`)
      yield* plant()
      const node = yield* Effect.flatMap(PidfileFiles, (live) => live.nodeAt(path))
      const { logs, outcome } = yield* claimLogged(me.pid)
      expect(outcome).toEqual(Either.right({ _tag: "AlreadyClaimed" }))
      expect(logs).toContain(`INFO already claimed by process ${me.pid}; recorded its identity, which was missing`)
      expect(yield* Effect.flatMap(PidfileFiles, (live) => live.nodeAt(path))).toEqual(node)
      expect(yield* contentOf(identityRecordPath(path))).toEqual(Option.some(JSON.stringify({ ...me, forks: 1, autogroup: 1 }) + "\n"))
      yield* table.reuse(me.pid)
      expect(yield* kill({ path, callerUid: 0 })).toMatchObject({ _tag: "Stale" })
      expect(yield* table.events).toEqual([])
    }).pipe(Effect.provide(TestLayers)))

  it.effect("a pidfile that names the claimant without a record, owned by another user, is written again as the caller's: a record is believed only beside its own owner's pidfile", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const me = yield* table.spawn()
      yield* files.put(path, "file", `${me.pid}\n`, { uid: 1000 })
      expect(yield* claimFor(me.pid)).toEqual({ _tag: "AlreadyClaimed" })
      const reopened = yield* Effect.scoped(Effect.flatMap(PidfileFiles, (live) => live.open(path)))
      expect(Option.map(reopened, (file) => file.uid)).toEqual(Option.some(0))
      expect(yield* contentOf(path)).toEqual(Option.some(`${me.pid}\n`))
      yield* table.reuse(me.pid)
      expect(yield* kill({ path, callerUid: 0 })).toMatchObject({ _tag: "Stale" })
    }).pipe(Effect.provide(TestLayers)))

  it.effect.each(["Reaped", "Zombie"] as const)("takes over when the owner has exited (%s)", (fate) =>
    Effect.gen(function*() {
      const [table] = yield* setUp
      const old = yield* table.spawn()
      yield* claimFor(old.pid)
      yield* table.exit(old.pid, fate)
      const me = yield* table.spawn()
      expect(yield* claimFor(me.pid)).toEqual({ _tag: "Claimed" })
      expect(yield* contentOf(path)).toEqual(Option.some(`${me.pid}\n`))
    }).pipe(Effect.provide(TestLayers)))

  it.effect("takes over when the recorded PID now belongs to an unrelated process", () =>
    Effect.gen(function*() {
      const [table] = yield* setUp
      const old = yield* table.spawn()
      yield* claimFor(old.pid)
      yield* table.reuse(old.pid)
      const me = yield* table.spawn()
      expect(yield* claimFor(me.pid)).toEqual({ _tag: "Claimed" })
    }).pipe(Effect.provide(TestLayers)))

  it.effect("takes over when the recorded PID was reused after a reboot", () =>
    Effect.gen(function*() {
      const [table] = yield* setUp
      const old = yield* table.spawn({ bootId: "an-earlier-boot" })
      yield* claimFor(old.pid)
      yield* table.reuse(old.pid, { startTicks: old.startTicks })
      expect(yield* claimFor((yield* table.spawn()).pid)).toEqual({ _tag: "Claimed" })
    }).pipe(Effect.provide(TestLayers)))

  it.effect("ignores a record that names another PID than the pidfile", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const owner = yield* table.spawn()
      yield* files.put(path, "file", `${owner.pid}\n`)
      yield* files.put(identityRecordPath(path), "file", JSON.stringify({ pid: 77, startTicks: 1, bootId: "x" }))
      expect((yield* Effect.flip(claimFor((yield* table.spawn()).pid)))._tag).toBe("PidfileOwned")
    }).pipe(Effect.provide(TestLayers)))

  it.effect.each(["", "garbage", "-1", "0", "1 2", "4194305"])("treats content %j as stale", (content) =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      yield* files.put(path, "file", content)
      const me = yield* table.spawn()
      expect(yield* claimFor(me.pid)).toEqual({ _tag: "Claimed" })
      expect(yield* contentOf(path)).toEqual(Option.some(`${me.pid}\n`))
    }).pipe(Effect.provide(TestLayers)))

  it.effect.each(["PID junk\n", "  +PID 12\n", "\u000bPID\n"])(
    "refuses content %j whose first number (what monit reads) is a running process, and leaves it",
    (template) =>
      Effect.gen(function*() {
        const [table, files] = yield* setUp
        const running = yield* table.spawn()
        const content = template.replace("PID", String(running.pid))
        yield* files.put(path, "file", content)
        const error = yield* Effect.flip(claimFor((yield* table.spawn()).pid))
        expect(error._tag).toBe("PidfileInvalid")
        expect(error.message).toBe(
          `${path}: holds no single PID, yet monit reads it as process ${running.pid}, which is running; left untouched, fix or remove it by hand`
        )
        expect(yield* contentOf(path)).toEqual(Option.some(content))
      }).pipe(Effect.provide(TestLayers))
  )

  it.effect("replaces content whose first number is a process that has exited: stale", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const gone = yield* table.spawn()
      yield* table.exit(gone.pid)
      yield* files.put(path, "file", `${gone.pid} junk\n`)
      const me = yield* table.spawn()
      expect(yield* claimFor(me.pid)).toEqual({ _tag: "Claimed" })
      expect(yield* contentOf(path)).toEqual(Option.some(`${me.pid}\n`))
    }).pipe(Effect.provide(TestLayers)))

  // Live, asking about a PID the content does not name dies ("refusing to act on PID undefined", exit 5).
  it.effect.each([["no PID at all", () => "garbage\n", false], ["a first number, of a process that exited", (gone: Pid) => `${gone} junk\n`, true]] as const)(
    "over content with %s, asks the process table about the claimant and the PID monit reads, nothing else",
    ([, content, readsGone]) =>
      Effect.gen(function*() {
        const [table, files] = yield* setUp
        const gone = yield* table.spawn()
        yield* table.exit(gone.pid)
        yield* files.put(path, "file", content(gone.pid))
        const me = yield* table.spawn()
        const asked: Array<Pid> = []
        const recording = Layer.effect(Processes, Effect.map(Processes, (processes) => ({ ...processes, inspect: (pid: Pid) => (asked.push(pid), processes.inspect(pid)) })))
        expect(yield* claimFor(me.pid).pipe(Effect.provide(recording))).toEqual({ _tag: "Claimed" })
        expect(asked).toEqual(readsGone ? [me.pid, gone.pid] : [me.pid])
      }).pipe(Effect.provide(TestLayers))
  )

  it.effect("refuses to claim for a PID that is not running, and writes nothing", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const gone = yield* table.spawn()
      yield* table.exit(gone.pid)
      const error = yield* Effect.flip(claimFor(gone.pid))
      expect(error).toMatchObject({ _tag: "ClaimantInvalid", pid: gone.pid, problem: { _tag: "NotRunning" } })
      expect(error.message).toBe(`PID ${gone.pid} is not a running process`)
      expect(yield* files.paths).toEqual([])
    }).pipe(Effect.provide(TestLayers)))

  it.effect("refuses a thread's ID, naming the thread's process, and writes nothing", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const process = yield* table.spawn()
      const thread = yield* table.spawnThread(process.pid)
      const error = yield* Effect.flip(claimFor(thread.pid))
      expect(error).toMatchObject({ _tag: "ClaimantInvalid", problem: { _tag: "Thread", process: process.pid }, message: `PID ${thread.pid} is a thread of process ${process.pid}; pass ${process.pid}` })
      expect(yield* files.paths).toEqual([])
    }).pipe(Effect.provide(TestLayers)))

  it.effect("refuses a kernel thread (kthreadd, PF_KTHREAD), naming it, and writes nothing", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const kthreadd = yield* table.spawn({ parent: 0, command: "kthreadd", kernelThread: true })
      const error = yield* Effect.flip(claimFor(kthreadd.pid))
      expect(error).toMatchObject({
        _tag: "ClaimantInvalid",
        problem: { _tag: "KernelThread", command: "kthreadd" },
        message: `PID ${kthreadd.pid} is a kernel thread (kthreadd), never a job's process`
      })
      expect(yield* files.paths).toEqual([])
    }).pipe(Effect.provide(TestLayers)))

  it.effect("refuses, and leaves untouched, a pidfile that names a thread", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const process = yield* table.spawn()
      const thread = yield* table.spawnThread(process.pid)
      const me = yield* table.spawn()
      yield* files.put(path, "file", `${thread.pid}\n`)
      expect((yield* Effect.flip(claimFor(me.pid)))._tag).toBe("PidfileInvalid")
      expect(yield* contentOf(path)).toEqual(Option.some(`${thread.pid}\n`))
    }).pipe(Effect.provide(TestLayers)))

  it.scoped("fails with PidfileLocked while another process holds the lock, leaving the file", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      yield* files.put(path, "file", "")
      yield* files.holdLock(path)
      expect((yield* Effect.flip(claimFor((yield* table.spawn()).pid)))._tag).toBe("PidfileLocked")
      expect(yield* contentOf(path)).toEqual(Option.some(""))
    }).pipe(Effect.provide(TestLayers)))

  it.effect("a first claim that loses the race to create the pidfile leaves the winner's pidfile and record alone", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const winner = yield* table.spawn()
      const winnerRecord = JSON.stringify(winner) + "\n"
      // The winner links its pidfile between our open (nothing there) and our
      // create; its record may be written before we get anywhere near the lock.
      yield* files.put(identityRecordPath(path), "file", winnerRecord)
      yield* files.beforeNextLock(files.put(path, "file", `${winner.pid}\n`))
      const error = yield* Effect.flip(claimFor((yield* table.spawn()).pid))
      expect(error).toMatchObject({ _tag: "PidfileOwned", pid: winner.pid })
      expect(yield* contentOf(path)).toEqual(Option.some(`${winner.pid}\n`))
      expect(yield* contentOf(identityRecordPath(path))).toEqual(Option.some(winnerRecord))
    }).pipe(Effect.provide(TestLayers)))

  it.scoped("removes temporaries that interrupted runs left, but not one a live claim holds", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const abandoned = ["/run/job/.job.pid.aaaaaaaaaaaa.tmp", "/run/job/.job.pid.identity.bbbbbbbbbbbb.tmp"]
      const alive = "/run/job/.job.pid.cccccccccccc.tmp"
      for (const leftover of [...abandoned, alive]) yield* files.put(leftover, "file")
      yield* files.holdLock(alive)
      expect(yield* claimFor((yield* table.spawn()).pid)).toEqual({ _tag: "Claimed" })
      expect(yield* files.paths).toEqual([alive, path, identityRecordPath(path)].sort())
    }).pipe(Effect.provide(TestLayers)))

  it.effect.each([
    ["a record that is not JSON", "{"],
    ["a record whose start ticks are not a number", (pid: number, ticks: number) => JSON.stringify({ pid, startTicks: String(ticks), bootId: "boot-a" })],
    ["a record whose boot id is not a string", (pid: number, ticks: number) => JSON.stringify({ pid, startTicks: ticks, bootId: 1 })]
  ] as const)("ignores %s: the live owner keeps the pidfile", ([, record]) =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const owner = yield* table.spawn()
      yield* files.put(path, "file", `${owner.pid}\n`)
      yield* files.put(identityRecordPath(path), "file", typeof record === "string" ? record : record(owner.pid, owner.startTicks))
      expect((yield* Effect.flip(claimFor((yield* table.spawn()).pid)))._tag).toBe("PidfileOwned")
    }).pipe(Effect.provide(TestLayers)))
})

describe("a claim that cannot finish", () => {
  it.effect("a new pidfile whose record cannot be written is taken back: the claim fails and leaves nothing", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const { logs, outcome } = yield* claimLogged((yield* table.spawn()).pid).pipe(Effect.provide(recordWriteFails(() => Effect.void)))
      expect(outcome).toMatchObject({ left: { _tag: "OsError", code: "ENOSPC" } })
      expect(yield* files.paths).toEqual([])
      expect(logs).toEqual(["DEBUG pidfile is new"])
    }).pipe(Effect.provide(TestLayers)))

  it.effect.each([
    ["replaced by another tool", (simulated: typeof SimulatedFiles.Service) => simulated.put(path, "file", "7\n"), [path]],
    ["removed by another tool", (simulated: typeof SimulatedFiles.Service) => simulated.remove(path), []]
  ] as const)("a new pidfile %s before its record failed is not ours to take back", ([, meanwhile, left]) =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const { outcome } = yield* claimLogged((yield* table.spawn()).pid).pipe(Effect.provide(recordWriteFails(meanwhile)))
      expect(outcome).toMatchObject({ left: { _tag: "OsError", code: "ENOSPC" } })
      expect(yield* files.paths).toEqual(left)
    }).pipe(Effect.provide(TestLayers)))

  it.effect("when taking the new pidfile back fails too, the claim reports the first failure and warns of the second", () =>
    Effect.gen(function*() {
      const [table] = yield* setUp
      const faults = Layer.provide(
        withFaults(() => ({ remove: (target) => Effect.fail(diskFull(target)) })),
        recordWriteFails(() => Effect.void)
      )
      const { logs, outcome } = yield* claimLogged((yield* table.spawn()).pid).pipe(Effect.provide(faults))
      expect(outcome).toMatchObject({ left: { _tag: "OsError", subject: { path: identityRecordPath(path) } } })
      expect(logs).toContain(`WARN could not remove the new pidfile after the failure: ${diskFull(path).message}`)
    }).pipe(Effect.provide(TestLayers)))

  it.effect("a failure to remove leftover temporaries is only a warning", () =>
    Effect.gen(function*() {
      const [table] = yield* setUp
      const me = yield* table.spawn()
      const faults = withFaults(() => ({ removeAbandonedTemporaries: () => Effect.fail(diskFull("/run/job")) }))
      const { logs, outcome } = yield* claimLogged(me.pid).pipe(Effect.provide(faults))
      expect(outcome).toMatchObject({ right: { _tag: "Claimed" } })
      expect(logs).toContain(`WARN could not remove leftover temporary files: ${diskFull("/run/job").message}`)
    }).pipe(Effect.provide(TestLayers)))
})

describe("claim says what it found and did", () => {
  const leftovers = ["/run/job/.job.pid.aaaaaaaaaaaa.tmp", "/run/job/.job.pid.bbbbbbbbbbbb.tmp"]
  it.effect.each([
    ["a new pidfile", () => Effect.void, (me: number) => ["DEBUG pidfile is new", `INFO claimed for process ${me}`]],
    ["an empty pidfile", () => Effect.flatMap(SimulatedFiles, (files) => files.put(path, "file", "")), (me: number) => [
      "INFO pidfile is empty",
      `INFO claimed for process ${me}`
    ]],
    ["a pidfile that holds no PID", () => Effect.flatMap(SimulatedFiles, (files) => files.put(path, "file", "garbage\n")), (me: number) => [
      "WARN pidfile is stale: \"garbage\" is not a valid PID: expected a decimal number from 2 to 4194304",
      `INFO claimed for process ${me}`
    ]],
    ["its own pidfile", (me: number) => Effect.asVoid(claimFor(me)), (me: number) => [`INFO already claimed by process ${me}; nothing to do`]],
    ["the pidfile of an exited process", () =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const old = yield* table.spawn({ pid: 400 as Pid })
        yield* table.exit(old.pid)
        yield* (yield* SimulatedFiles).put(path, "file", "400\n")
      }), (me: number) => ["WARN pidfile is stale: process 400 has exited", `INFO claimed for process ${me}`]],
    ["leftover temporaries", () => Effect.forEach(leftovers, (leftover) => Effect.flatMap(SimulatedFiles, (files) => files.put(leftover, "file"))), (me: number) => [
      "INFO removed temporary files left by interrupted runs: .job.pid.aaaaaaaaaaaa.tmp, .job.pid.bbbbbbbbbbbb.tmp",
      "DEBUG pidfile is new",
      `INFO claimed for process ${me}`
    ]]
  ] as const)("%s", ([, before, expected]) =>
    Effect.gen(function*() {
      const me = yield* (yield* ProcessTable).spawn()
      yield* before(me.pid)
      expect((yield* claimLogged(me.pid)).logs).toEqual(expected(me.pid))
    }).pipe(Effect.provide(TestLayers)))
})

describe("claimLocked, for a caller that holds the lock", () => {
  it.effect("a pidfile that a tool which does not lock replaced during the stop is left alone and reported", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const old = yield* table.spawn({ behaviour: { onSignal: { SIGTERM: Reaction.exit("5 seconds") } } })
      const [other, successor] = [yield* table.spawn(), yield* table.spawn()]
      yield* claimFor(old.pid)
      const oldRecord = yield* contentOf(identityRecordPath(path))
      const restart = Effect.gen(function*() {
        const locked = Option.getOrThrow(yield* lock(path))
        yield* stop(locked, { callerUid: 0 })
        return yield* Effect.flip(claimLocked(locked, successor.pid))
      }).pipe(Effect.scoped)
      const fiber = yield* Effect.fork(restart)
      yield* TestClock.adjust(Duration.seconds(1))
      // start-stop-daemon starts another copy and writes its own pidfile: a new inode at the path.
      yield* files.put(path, "file", `${other.pid}\n`)
      yield* TestClock.adjust(Duration.seconds(10))
      const error = yield* settled(fiber)
      expect(error).toMatchObject({ _tag: "PidfileInvalid", path })
      expect(error.message).toBe(
        `${path}: was replaced while locked, by a program that does not lock (start-stop-daemon, an editor); not claimed; left untouched, fix or remove it by hand`
      )
      expect(yield* contentOf(path)).toEqual(Option.some(`${other.pid}\n`))
      expect(yield* contentOf(identityRecordPath(path))).toEqual(oldRecord)
    }).pipe(Effect.provide(TestLayers)))

  it.scoped("a pidfile the lock created for one process is not claimed for another", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const [first, second] = [yield* table.spawn(), yield* table.spawn()]
      yield* makeDirectory
      const locked = yield* lock(path, { create: first.pid })
      const error = yield* Effect.flip(claimLocked(locked, second.pid))
      expect(error).toMatchObject({ _tag: "ClaimantInvalid", problem: { _tag: "CreatedForOther", path, process: first.pid } })
      expect(error.message).toBe(
        `${path}: this lock created the pidfile for process ${first.pid}, so it cannot be claimed for process ${second.pid}; claim it for ${first.pid}`
      )
      expect(yield* files.paths).toEqual([path])
      expect(yield* contentOf(path)).toEqual(Option.some(`${first.pid}\n`))
      expect(yield* claimLocked(locked, first.pid)).toEqual({ _tag: "Claimed" })
      expect(yield* contentOf(identityRecordPath(path))).toEqual(Option.some(JSON.stringify({ ...first, forks: 2, autogroup: 1 }) + "\n"))
    }).pipe(Effect.provide(TestLayers)))

  it.scoped("a pidfile the lock created and another tool then replaced gets no record: it is not the lock's any more", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const me = yield* table.spawn()
      yield* makeDirectory
      const locked = yield* lock(path, { create: me.pid })
      yield* files.put(path, "file", "7\n")
      expect(yield* Effect.flip(claimLocked(locked, me.pid))).toMatchObject({ _tag: "PidfileInvalid", path })
      expect(yield* files.paths).toEqual([path])
      expect(yield* contentOf(path)).toEqual(Option.some("7\n"))
    }).pipe(Effect.provide(TestLayers)))
})
