import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Logger, LogLevel, Option } from "effect"
import { dirname } from "node:path"
import { lock, maxLockAttempts } from "../../src/pidfile/lock.js"
import { PidfileFiles } from "../../src/pidfile/PidfileFiles.js"
import type { Pid } from "../../src/process/Pid.js"
import * as PidfileFilesTest from "../../src/pidfile/PidfileFilesTest.js"
import { SimulatedFiles } from "../../src/pidfile/PidfileFilesTest.js"
import { captureLogs } from "./support/simulation.js"

const path = "/run/job/job.pid"

/** The simulated files with the pidfile's directory, which claim makes before it locks. */
const Files = PidfileFilesTest.layer.pipe(Layer.tap((context) => Effect.orDie(Context.get(context, PidfileFiles).makeDirectory(dirname(path)))))

const lockedIno = (options = { create: true }) =>
  options.create
    ? lock(path, { create: 42 as Pid }).pipe(Effect.map((locked) => Option.some(locked.file.node.ino)))
    : lock(path).pipe(Effect.map(Option.map((locked) => locked.file.node.ino)))

describe("the pidfile lock protocol", () => {
  it.scoped("creates a missing pidfile with its content, locked, when asked to", () =>
    Effect.gen(function*() {
      const locked = yield* lock(path, { create: 42 as Pid })
      expect(locked._tag).toBe("Created")
      const simulated = yield* SimulatedFiles
      expect(yield* simulated.paths).toEqual([path])
      expect(yield* simulated.content(path)).toEqual(Option.some("42\n"))
      const other = Option.getOrThrow(yield* (yield* PidfileFiles).open(path))
      expect(yield* (yield* PidfileFiles).tryLock(other)).toBe(false)
    }).pipe(Effect.provide(Files)))

  it.scoped("locks what a concurrent claim created between its open and its create, and leaves its content", () =>
    Effect.gen(function*() {
      const simulated = yield* SimulatedFiles
      yield* simulated.beforeNextLock(simulated.put(path, "file", "7\n"))
      const locked = yield* lock(path, { create: 42 as Pid })
      expect(locked._tag).toBe("Existing")
      expect(yield* simulated.content(path)).toEqual(Option.some("7\n"))
    }).pipe(Effect.provide(Files)))

  it.scoped("reports a missing pidfile without creating it", () =>
    Effect.gen(function*() {
      expect(yield* lockedIno({ create: false })).toEqual(Option.none())
      expect(yield* (yield* SimulatedFiles).paths).toEqual([])
    }).pipe(Effect.provide(Files)))

  it.scoped("fails at once while another process holds the lock", () =>
    Effect.gen(function*() {
      const simulated = yield* SimulatedFiles
      yield* simulated.put(path, "file", "123\n")
      yield* simulated.holdLock(path)
      const error = yield* Effect.flip(lockedIno())
      expect(error._tag).toBe("PidfileLocked")
    }).pipe(Effect.provide(Files)))

  it.effect("releases the lock when its scope closes, on success and on failure", () =>
    Effect.gen(function*() {
      yield* Effect.scoped(lockedIno())
      yield* Effect.scoped(Effect.zipRight(lockedIno(), Effect.fail("boom"))).pipe(Effect.exit)
      expect(Option.isSome(yield* Effect.scoped(lockedIno()))).toBe(true)
    }).pipe(Effect.provide(Files)))

  it.scoped.each([{ create: true }, { create: false }])("retries when a concurrent claim renames a new file over the path between open and flock (%o)", (options) =>
    Effect.gen(function*() {
      const simulated = yield* SimulatedFiles
      yield* simulated.put(path, "file", "123\n")
      yield* simulated.beforeNextLock(simulated.put(path, "file", "456\n"))
      const ino = yield* lockedIno(options)
      const files = yield* PidfileFiles
      const current = yield* files.nodeAt(path)
      expect(ino).toEqual(Option.map(current, (node) => node.ino))
      expect(Option.isSome(ino)).toBe(true)
    }).pipe(Effect.provide(Files)))

  it.scoped("lets go of a file that was replaced before its lock was checked, and says it retries", () =>
    Effect.gen(function*() {
      const simulated = yield* SimulatedFiles
      const files = yield* PidfileFiles
      const logs: Array<string> = []
      yield* simulated.put(path, "file", "123\n")
      // A second name keeps the replaced file reachable, to see whether it is still locked.
      yield* simulated.link(path, `${path}.old`)
      yield* simulated.beforeNextLock(simulated.put(path, "file", "456\n"))
      yield* lockedIno().pipe(Effect.provide(captureLogs(logs)), Logger.withMinimumLogLevel(LogLevel.Debug))
      expect(yield* files.tryLock(Option.getOrThrow(yield* files.open(`${path}.old`)))).toBe(true)
      expect(logs).toEqual(["DEBUG pidfile was replaced while locking (attempt 1); retrying"])
    }).pipe(Effect.provide(Files)))

  it.scoped("retries when a concurrent kill removes the file between open and flock", () =>
    Effect.gen(function*() {
      const simulated = yield* SimulatedFiles
      yield* simulated.put(path, "file", "123\n")
      yield* simulated.beforeNextLock(simulated.remove(path))
      expect(Option.isSome(yield* lockedIno())).toBe(true)
      expect(yield* simulated.content(path)).toEqual(Option.some("42\n"))
    }).pipe(Effect.provide(Files)))

  it.scoped("after the removal, a lock without create finds nothing", () =>
    Effect.gen(function*() {
      const simulated = yield* SimulatedFiles
      yield* simulated.put(path, "file", "123\n")
      yield* simulated.beforeNextLock(simulated.remove(path))
      expect(yield* lockedIno({ create: false })).toEqual(Option.none())
    }).pipe(Effect.provide(Files)))

  it.scoped("gives up with LockRetriesExhausted if the path keeps changing", () =>
    Effect.gen(function*() {
      const simulated = yield* SimulatedFiles
      let replacements = 0
      const replaceForever: Effect.Effect<void> = Effect.suspend(() => {
        replacements++
        return Effect.zipRight(simulated.put(path, "file", ""), simulated.beforeNextLock(replaceForever))
      })
      yield* simulated.beforeNextLock(replaceForever)
      const exit = yield* Effect.exit(lockedIno())
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error.message).toBe(
        `${path}: lock failed: the file was replaced ${maxLockAttempts} times while locking; another program keeps rewriting it, try again`
      )
      expect(exit).toMatchObject({ cause: { error: { _tag: "LockRetriesExhausted", attempts: maxLockAttempts } } })
      expect(replacements).toBe(maxLockAttempts)
    }).pipe(Effect.provide(Files)))

  it.scoped.each(["symlink", "directory", "fifo"] as const)("refuses a %s at the path", (kind) =>
    Effect.gen(function*() {
      yield* (yield* SimulatedFiles).put(path, kind)
      const error = yield* Effect.flip(lockedIno())
      expect(error._tag).toBe("PidfileInvalid")
    }).pipe(Effect.provide(Files)))
})
