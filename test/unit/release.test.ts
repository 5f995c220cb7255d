/**
 * `claimScoped` and `release`, for an app that claims its own pidfile: the
 * pidfile and its record go when the scope closes, but never a successor's
 * claim, and never while another sipid holds the lock.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, Scope } from "effect"
import { claim } from "../../src/pidfile/claim.js"
import { identityRecordPath } from "../../src/pidfile/identityRecord.js"
import { claimScoped, release } from "../../src/pidfile/release.js"
import { SimulatedFiles } from "../../src/pidfile/PidfileFilesTest.js"
import type { Pid } from "../../src/process/Pid.js"
import { ProcessTable } from "../../src/process/ProcessesTest.js"
import { SipidTest } from "../../src/testing.js"
import { captureLogs } from "./support/simulation.js"

const path = "/srv/app/app.pid"
const record = identityRecordPath(path)
const paths = Effect.flatMap(SimulatedFiles, (files) => files.paths)

describe("claimScoped", () => {
  it.effect("claims for the scope's life, then removes the pidfile and its record", () =>
    Effect.gen(function*() {
      const me = yield* (yield* ProcessTable).spawn()
      const scope = yield* Scope.make()
      expect(yield* Scope.extend(claimScoped({ path, pid: me.pid }), scope)).toEqual({ _tag: "Claimed" })
      expect(yield* paths).toEqual([path, record])
      yield* Scope.close(scope, Exit.void)
      expect(yield* paths).toEqual([])
    }).pipe(Effect.provide(SipidTest())))

  it.effect("claims nothing, and so removes nothing, while another live process owns the pidfile", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const owner = yield* table.spawn()
      const files = yield* SimulatedFiles
      yield* files.put(path, "file", `${owner.pid}\n`)
      const me = yield* table.spawn()
      expect(yield* Effect.flip(Effect.scoped(claimScoped({ path, pid: me.pid })))).toMatchObject({ _tag: "PidfileOwned", pid: owner.pid })
      expect(yield* files.content(path)).toEqual(Option.some(`${owner.pid}\n`))
    }).pipe(Effect.provide(SipidTest())))

  it.effect("leaves a pidfile that names another process by the time the scope closes (a tool that does not lock rewrote it)", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const files = yield* SimulatedFiles
      const me = yield* table.spawn()
      const successor = yield* table.spawn()
      const logs: Array<string> = []
      yield* Effect.scoped(Effect.zipRight(claimScoped({ path, pid: me.pid }), files.put(path, "file", `${successor.pid}\n`))).pipe(
        Effect.provide(captureLogs(logs))
      )
      expect(yield* files.content(path)).toEqual(Option.some(`${successor.pid}\n`))
      expect(logs).toContain(`WARN pidfile no longer names process ${me.pid} (rewritten meanwhile); left in place`)
    }).pipe(Effect.provide(SipidTest())))

  it.effect("while a kill holds the lock (it is stopping this process, and removes the pidfile itself), logs that it released nothing", () =>
    Effect.gen(function*() {
      const me = yield* (yield* ProcessTable).spawn()
      const files = yield* SimulatedFiles
      const logs: Array<string> = []
      yield* Effect.gen(function*() {
        const claimed = yield* Scope.make()
        yield* Scope.extend(claimScoped({ path, pid: me.pid }), claimed)
        yield* Effect.scoped(Effect.zipRight(files.holdLock(path), Scope.close(claimed, Exit.void)))
      }).pipe(Effect.provide(captureLogs(logs)))
      expect(yield* paths).toEqual([path, record])
      expect(logs.at(-1)).toMatch(/^WARN pidfile not released: .*locked by another process/)
    }).pipe(Effect.provide(SipidTest())))

  it.effect("claims for this very process by default", () =>
    Effect.gen(function*() {
      yield* (yield* ProcessTable).spawn({ pid: process.pid as Pid })
      yield* Effect.scoped(Effect.zipRight(claimScoped({ path }), Effect.flatMap(SimulatedFiles, (files) => files.content(path)))).pipe(
        Effect.tap((content) => expect(content).toEqual(Option.some(`${process.pid}\n`)))
      )
      expect(yield* paths).toEqual([])
    }).pipe(Effect.provide(SipidTest())))
})

describe("release", () => {
  it.effect("removes the pidfile and its record when the pidfile names the process", () =>
    Effect.gen(function*() {
      const me = yield* (yield* ProcessTable).spawn()
      yield* claim({ path, pid: me.pid })
      expect(yield* release(path, me.pid)).toEqual({ _tag: "Released" })
      expect(yield* paths).toEqual([])
    }).pipe(Effect.provide(SipidTest())))

  it.effect("keeps a pidfile that names another process, and its record", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const [me, successor] = [yield* table.spawn(), yield* table.spawn()]
      const files = yield* SimulatedFiles
      yield* files.put(path, "file", `${successor.pid}\n`)
      yield* files.put(record, "file", JSON.stringify(successor))
      expect(yield* release(path, me.pid)).toEqual({ _tag: "Kept" })
      expect(yield* paths).toEqual([path, record])
    }).pipe(Effect.provide(SipidTest())))

  it.effect("answers NoPidfile when there is none", () =>
    Effect.gen(function*() {
      const me = yield* (yield* ProcessTable).spawn()
      expect(yield* release(path, me.pid)).toEqual({ _tag: "NoPidfile" })
    }).pipe(Effect.provide(SipidTest())))
})
