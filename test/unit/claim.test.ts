import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { claim } from "../../src/pidfile/claim.js"
import { identityRecordPath } from "../../src/pidfile/identityRecord.js"
import * as PidfileFilesTest from "../../src/pidfile/PidfileFilesTest.js"
import { SimulatedFiles } from "../../src/pidfile/PidfileFilesTest.js"
import type { Pid } from "../../src/process/Pid.js"
import * as ProcessesTest from "../../src/process/ProcessesTest.js"
import { ProcessTable } from "../../src/process/ProcessesTest.js"

const path = "/run/job/job.pid"
const TestLayers = Layer.merge(PidfileFilesTest.layer, ProcessesTest.layer())

const setUp = Effect.all([ProcessTable, SimulatedFiles])
const contentOf = (file: string) => Effect.flatMap(SimulatedFiles, (files) => files.content(file))
const claimFor = (pid: number) => claim({ path, pid: pid as Pid })

describe("claim decides from the pidfile and the process table", () => {
  it.effect("writes the PID and its identity record to a new pidfile", () =>
    Effect.gen(function*() {
      const [table] = yield* setUp
      const me = yield* table.spawn()
      expect(yield* claimFor(me.pid)).toBe("Claimed")
      expect(yield* contentOf(path)).toEqual(Option.some(`${me.pid}\n`))
      expect(Option.map(yield* contentOf(identityRecordPath(path)), JSON.parse)).toEqual(Option.some(me))
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
      yield* files.put(path, "file", `${me.pid}\n`)
      expect(yield* claimFor(me.pid)).toBe("AlreadyClaimed")
      expect(yield* files.paths).toEqual([path])
    }).pipe(Effect.provide(TestLayers)))

  it.effect.each(["Reaped", "Zombie"] as const)("takes over when the owner has exited (%s)", (fate) =>
    Effect.gen(function*() {
      const [table] = yield* setUp
      const old = yield* table.spawn()
      yield* claimFor(old.pid)
      yield* table.exit(old.pid, fate)
      const me = yield* table.spawn()
      expect(yield* claimFor(me.pid)).toBe("Claimed")
      expect(yield* contentOf(path)).toEqual(Option.some(`${me.pid}\n`))
    }).pipe(Effect.provide(TestLayers)))

  it.effect("takes over when the recorded PID now belongs to an unrelated process", () =>
    Effect.gen(function*() {
      const [table] = yield* setUp
      const old = yield* table.spawn()
      yield* claimFor(old.pid)
      yield* table.reuse(old.pid)
      const me = yield* table.spawn()
      expect(yield* claimFor(me.pid)).toBe("Claimed")
    }).pipe(Effect.provide(TestLayers)))

  it.effect("takes over when the recorded PID was reused after a reboot", () =>
    Effect.gen(function*() {
      const [table] = yield* setUp
      const old = yield* table.spawn({ bootId: "an-earlier-boot" })
      yield* claimFor(old.pid)
      yield* table.reuse(old.pid, { startTicks: old.startTicks })
      expect(yield* claimFor((yield* table.spawn()).pid)).toBe("Claimed")
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
      expect(yield* claimFor(me.pid)).toBe("Claimed")
      expect(yield* contentOf(path)).toEqual(Option.some(`${me.pid}\n`))
    }).pipe(Effect.provide(TestLayers)))

  it.effect("refuses to claim for a PID that is not running, and writes nothing", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const gone = yield* table.spawn()
      yield* table.exit(gone.pid)
      expect((yield* Effect.flip(claimFor(gone.pid)))._tag).toBe("UsageError")
      expect(yield* files.paths).toEqual([])
    }).pipe(Effect.provide(TestLayers)))

  it.effect("refuses a thread's ID, naming the thread's process, and writes nothing", () =>
    Effect.gen(function*() {
      const [table, files] = yield* setUp
      const process = yield* table.spawn()
      const thread = yield* table.spawnThread(process.pid)
      const error = yield* Effect.flip(claimFor(thread.pid))
      expect(error).toMatchObject({ _tag: "UsageError", message: `PID ${thread.pid} is a thread of process ${process.pid}; pass ${process.pid}` })
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
      expect(yield* claimFor((yield* table.spawn()).pid)).toBe("Claimed")
      expect(yield* files.paths).toEqual([alive, path, identityRecordPath(path)].sort())
    }).pipe(Effect.provide(TestLayers)))
})
