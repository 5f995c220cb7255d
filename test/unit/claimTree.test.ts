/**
 * A claim over a stale pidfile whose job left processes behind (a pool
 * master SIGKILLed, its workers still holding the port), under SipidTest()
 * and TestClock: with `tree` they are stopped before the pidfile names the
 * newcomer; without it a warning names them.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Logger, LogLevel, Option, TestClock } from "effect"
import { claim } from "../../src/pidfile/claim.js"
import { SimulatedFiles } from "../../src/pidfile/PidfileFilesTest.js"
import type { Pid } from "../../src/process/Pid.js"
import { type Behaviour, ProcessTable, Reaction } from "../../src/process/ProcessesTest.js"
import { SipidTest } from "../../src/testing.js"
import { captureLogs } from "./support/simulation.js"

const path = "/var/vcap/sys/run/pool/pool.pid"
const ignoresTerm: Behaviour = { onSignal: { SIGTERM: Reaction.ignore } }

/** A master claimed with two workers, SIGKILLed: its workers live on in its session. */
const crashedPool = (worker: Behaviour = ignoresTerm) =>
  Effect.gen(function*() {
    const table = yield* ProcessTable
    const master = yield* table.spawn({ command: "master" })
    const workers = yield* Effect.forEach([1, 2], () => Effect.map(table.spawn({ parent: master.pid, command: "worker", behaviour: worker }), ({ pid }) => pid))
    yield* claim({ path, pid: master.pid })
    yield* table.exit(master.pid)
    const newcomer = yield* table.spawn({ command: "newcomer" })
    return { master: master.pid, workers, newcomer: newcomer.pid }
  })

const contentNow = Effect.flatMap(SimulatedFiles, (files) => files.content(path))

/** Runs `effect` with its log lines in `logs`, down to debug. */
const logged = <A, E, R>(logs: Array<string>, effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.provide(captureLogs(logs)), Logger.withMinimumLogLevel(LogLevel.Debug))

describe("claim with tree over a stale pidfile whose job left processes behind", () => {
  it.effect("stops them first (SIGTERM, 2 s, SIGKILL), and only then names the newcomer", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const { master, newcomer, workers } = yield* crashedPool()
      const logs: Array<string> = []
      const claiming = yield* Effect.fork(logged(logs, claim({ path, pid: newcomer, tree: {} })))
      yield* TestClock.adjust(Duration.millis(1_999))
      expect(yield* contentNow).toEqual(Option.some(`${master}\n`))
      yield* TestClock.adjust(Duration.millis(1))
      expect(yield* Fiber.join(claiming)).toEqual({ _tag: "Claimed" })
      for (const worker of workers) expect(yield* table.signalsTo(worker)).toEqual([[0, "SIGTERM"], [2_000, "SIGKILL"]])
      expect(yield* table.signalsTo(newcomer)).toEqual([])
      expect(yield* contentNow).toEqual(Option.some(`${newcomer}\n`))
      expect(logs).toContain(`WARN pidfile is stale: process ${master} has exited; stopping what is left of its job`)
      expect(logs).toContain(`INFO claimed for process ${newcomer}`)
    }).pipe(Effect.provide(SipidTest())))

  it.effect("workers that outlive SIGKILL fail the claim (JobSurvived): the stale pidfile stays, the newcomer is not claimed", () =>
    Effect.gen(function*() {
      const { master, newcomer, workers } = yield* crashedPool({ onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.ignore } })
      const claiming = yield* Effect.fork(claim({ path, pid: newcomer, tree: {} }))
      yield* TestClock.adjust(Duration.seconds(8))
      const exit = yield* Fiber.await(claiming)
      expect(Exit.isFailure(exit) && exit.cause).toMatchObject({ error: { _tag: "JobSurvived", pid: master, survivors: workers.map((pid) => ({ pid })) } })
      expect(yield* contentNow).toEqual(Option.some(`${master}\n`))
    }).pipe(Effect.provide(SipidTest())))

  it.effect("never stops the newcomer, even when it runs in the stale job's session", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const { workers } = yield* crashedPool()
      const inSession = yield* table.spawn({ parent: workers[0]!, command: "newcomer" })
      const claiming = yield* Effect.fork(claim({ path, pid: inSession.pid, tree: {} }))
      yield* TestClock.adjust(Duration.seconds(2))
      expect(yield* Fiber.join(claiming)).toEqual({ _tag: "Claimed" })
      expect(yield* table.signalsTo(inSession.pid)).toEqual([])
    }).pipe(Effect.provide(SipidTest())))
})

describe("claim without tree over such a pidfile", () => {
  it.effect("claims at once, signals nothing, and warns, naming what still runs and how to stop it", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const { master, newcomer, workers } = yield* crashedPool()
      const logs: Array<string> = []
      expect(yield* logged(logs, claim({ path, pid: newcomer }))).toEqual({ _tag: "Claimed" })
      expect((yield* table.events).filter((event) => event._tag === "Signal")).toEqual([])
      expect(logs).toContain(`WARN pidfile is stale: process ${master} has exited`)
      expect(logs).toContain(
        `WARN process ${master}'s job left 2 process(es) running, which may hold its port or files: ${workers[0]} (worker), ${workers[1]} (worker); ` +
          `once the pidfile names the new process nothing stops them: stop them first (claim --tree, or run without --keep-remains), or kill ${workers[0]} ${workers[1]}`
      )
    }).pipe(Effect.provide(SipidTest())))

  it.effect("says nothing more when the job left nothing", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const master = yield* table.spawn({ command: "master" })
      yield* claim({ path, pid: master.pid })
      yield* table.exit(master.pid)
      const logs: Array<string> = []
      yield* logged(logs, claim({ path, pid: (yield* table.spawn()).pid as Pid }))
      expect(logs.filter((line) => line.startsWith("WARN"))).toEqual([`WARN pidfile is stale: process ${master.pid} has exited`])
    }).pipe(Effect.provide(SipidTest())))
})
