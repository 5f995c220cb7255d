/**
 * Programs against a simulated process table (ProcessesTest) and a real
 * temporary directory (PidfileFilesLive), with every log line captured.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Duration, Effect, Fiber, Layer, Logger, Option, type Scope, TestServices } from "effect"
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { onTestFinished } from "vitest"
import { LibcLive } from "../../../src/native/Libc.js"
import { identityRecordPath } from "../../../src/pidfile/identityRecord.js"
import type { PidfileFiles } from "../../../src/pidfile/PidfileFiles.js"
import * as PidfileFilesLive from "../../../src/pidfile/PidfileFilesLive.js"
import type { ProcessIdentity, Processes } from "../../../src/process/Processes.js"
import * as ProcessesTest from "../../../src/process/ProcessesTest.js"
import { ProcessTable } from "../../../src/process/ProcessesTest.js"

export const bootId = "boot-a"

export interface Pidfile {
  readonly path: string
  readonly record: string
  readonly exists: () => boolean
  readonly content: () => string
}

/** A pidfile in a fresh directory, holding `content`, with an identity record when `identity` is given. */
export const makePidfile = (content: string, identity?: ProcessIdentity, mode = 0o644): Pidfile => {
  const directory = mkdtempSync(join(tmpdir(), "sipid-unit-"))
  onTestFinished(() => rmSync(directory, { recursive: true, force: true }))
  const path = join(directory, "job.pid")
  writeFileSync(path, content)
  chmodSync(path, mode)
  if (identity !== undefined) writeFileSync(identityRecordPath(path), JSON.stringify(identity) + "\n")
  return {
    path,
    record: identityRecordPath(path),
    exists: () => existsSync(path),
    content: () => readFileSync(path, "utf8")
  }
}

/** A simulated process with a second thread, and a pidfile naming the thread's ID. */
export const pidfileNamingAThread = Effect.gen(function*() {
  const table = yield* ProcessTable
  const { pid } = yield* table.spawn()
  const thread = yield* table.spawnThread(pid)
  return { process: pid, thread: thread.pid, pidfile: makePidfile(`${thread.pid}\n`) }
})

/**
 * `effect` under TestClock, or a defect once it has taken `limit` of real
 * time. What sleeps on a TestClock no one moves again (a bug, or a mutant
 * that waits longer) would wait for ever: the test fails after `limit`
 * rather than at vitest's time-out, and what still sleeps is interrupted.
 * (A fiber that spins at one instant without ever suspending starves the
 * worker's timers too; only the runner's own time-out ends that.)
 */
export const withinRealTime = (limit: Duration.DurationInput, stuck: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  effect.pipe(
    TestServices.provideWithLive(Effect.timeoutOption(limit)),
    Effect.flatMap(Option.match({ onNone: () => Effect.dieMessage(`${stuck} after ${Duration.format(limit)} of real time`), onSome: Effect.succeed }))
  )

/** Joins a forked program that the test has moved the TestClock past the end of: it has a moment of real time to finish. */
export const settled = <A, E>(fiber: Fiber.Fiber<A, E>): Effect.Effect<A, E> =>
  Fiber.join(fiber).pipe(withinRealTime("2 seconds", "still running, though the TestClock passed the instant it should have ended by,"))

/**
 * Real time a whole test on the simulated table may take: several times
 * what the slowest needs on a busy machine (4 s), a third of vitest's minute.
 */
export const simulatedTestWithin = Duration.seconds(20)

/** A logger that appends each line, as `LEVEL message`, to `logs`. */
export const captureLogs = (logs: Array<string>) =>
  Logger.replace(Logger.defaultLogger, Logger.make(({ logLevel, message }) => logs.push(`${logLevel.label} ${[message].flat().join(" ")}`)))

export const simulate = <A, E>(
  effect: (logs: ReadonlyArray<string>) => Effect.Effect<A, E, Processes | ProcessTable | PidfileFiles | Scope.Scope>,
  options: ProcessesTest.TestOptions = {}
) => {
  const logs: Array<string> = []
  const logger = captureLogs(logs)
  const files = PidfileFilesLive.layer.pipe(Layer.provide(Layer.merge(LibcLive, NodeFileSystem.layer)))
  return effect(logs).pipe(
    Effect.scoped,
    withinRealTime(simulatedTestWithin, "still waiting on the simulated table and the TestClock"),
    Effect.provide(Layer.mergeAll(files, ProcessesTest.layer({ bootId, ...options }), logger))
  )
}
