/**
 * The programs, as root, on a path whose directory is a symbolic link (on
 * the simulated files and process table): `nobody` owns `run/` and plants
 * `run/web -> ../rootjob`, where root's job has its pidfile. No program may
 * act on root's job through it; a link root made where no one else may
 * write is followed as before.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { claim } from "../../src/pidfile/claim.js"
import { identityRecordPath } from "../../src/pidfile/identityRecord.js"
import { kill } from "../../src/pidfile/kill.js"
import * as PidfileFilesTest from "../../src/pidfile/PidfileFilesTest.js"
import { SimulatedFiles } from "../../src/pidfile/PidfileFilesTest.js"
import { status } from "../../src/pidfile/status.js"
import { staleJobMembers } from "../../src/pidfile/statusTree.js"
import type { Pid } from "../../src/process/Pid.js"
import * as ProcessesTest from "../../src/process/ProcessesTest.js"
import { ProcessTable } from "../../src/process/ProcessesTest.js"

const TestLayers = Layer.merge(PidfileFilesTest.layer, ProcessesTest.layer())
const rootPidfile = "/var/vcap/sys/run/rootjob/web.pid"
const planted = "/var/vcap/sys/run/nobody/run/web/web.pid"
const refusal = "its path goes through the symbolic link /var/vcap/sys/run/nobody/run/web -> ../../rootjob, and uid 65534 owns it"

/** Root's job, claimed, and the path through nobody's link to its pidfile. */
const rootJob = Effect.gen(function*() {
  const table = yield* ProcessTable
  const files = yield* SimulatedFiles
  const job = yield* table.spawn({ command: "web" })
  yield* claim({ path: rootPidfile, pid: job.pid as Pid })
  yield* files.put("/var/vcap/sys/run/nobody/run", "directory", undefined, { uid: 65534 })
  yield* files.put("/var/vcap/sys/run/nobody/run/web", "symlink", "../../rootjob", { uid: 65534 })
  return { job, before: yield* files.paths }
})

/** Root's pidfile and record are as the claim left them, and nothing else was written. */
const untouched = (before: ReadonlyArray<string>, pid: number) =>
  Effect.gen(function*() {
    const files = yield* SimulatedFiles
    expect(yield* files.paths).toEqual(before)
    expect(yield* files.content(rootPidfile)).toEqual(Option.some(`${pid}\n`))
    expect(Option.isSome(yield* files.content(identityRecordPath(rootPidfile)))).toBe(true)
  })

describe("a directory on the way that another user made a symbolic link", () => {
  it.effect.each([["kill", {}], ["kill --tree", { tree: {} }]] as const)("%s refuses it (PidfileInvalid, exit 4) and signals nothing", ([, options]) =>
    Effect.gen(function*() {
      const { before, job } = yield* rootJob
      const error = yield* Effect.flip(kill({ path: planted, callerUid: 0, callerPids: [], ...options }))
      expect(error).toMatchObject({ _tag: "PidfileInvalid", path: planted, reason: expect.stringContaining(refusal) })
      expect(yield* (yield* ProcessTable).events).toEqual([])
      yield* untouched(before, job.pid)
    }).pipe(Effect.provide(TestLayers)))

  it.effect("claim refuses it and writes nothing, the pidfile and the record of root's stale job included", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const { before, job } = yield* rootJob
      yield* table.exit(job.pid)
      const error = yield* Effect.flip(claim({ path: planted, pid: (yield* table.spawn()).pid as Pid }))
      expect(error).toMatchObject({ _tag: "PidfileInvalid", reason: expect.stringContaining(refusal) })
      yield* untouched(before, job.pid)
    }).pipe(Effect.provide(TestLayers)))

  it.effect("status answers unknown (4) with the reason, and status --tree finds no record there to stop a stale job's remains by", () =>
    Effect.gen(function*() {
      const { job } = yield* rootJob
      expect(yield* status(planted)).toMatchObject({ _tag: "Unknown", reason: expect.stringContaining(refusal) })
      yield* (yield* ProcessTable).exit(job.pid)
      expect(yield* staleJobMembers(planted, job.pid as Pid, { callerUid: 0, callerPids: [] })).toMatchObject({
        _tag: "Left",
        left: "there is no identity record to tell its processes from strangers'"
      })
    }).pipe(Effect.provide(TestLayers)))

  it.effect("a link root made, in a directory only root may write, is followed: kill stops root's job through it", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const files = yield* SimulatedFiles
      const job = yield* table.spawn({ behaviour: { onSignal: { SIGTERM: ProcessesTest.Reaction.exit("0 seconds") } } })
      yield* claim({ path: rootPidfile, pid: job.pid as Pid })
      yield* files.put("/var/vcap/sys/run/web", "symlink", "rootjob")
      expect(yield* kill({ path: "/var/vcap/sys/run/web/web.pid", callerUid: 0, callerPids: [] })).toMatchObject({ _tag: "Stopped", pid: job.pid })
      expect(yield* table.signalsTo(job.pid)).toEqual([[0, "SIGTERM"]])
      expect(yield* files.paths).toEqual(["/var/vcap/sys/run/web"])
    }).pipe(Effect.provide(TestLayers)))
})
