/**
 * The live process table against real processes this test starts (and only
 * those): /proc parsing, zombies, pidfd signalling, and the kill(2)
 * fallback used where the kernel has no pidfds.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { onTestFinished } from "vitest"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import { once } from "node:events"
import { readFileSync } from "node:fs"
import { setTimeout } from "node:timers/promises"
import { Errno, Libc, LibcLive } from "../../src/native/Libc.js"
import type { Pid } from "../../src/process/Pid.js"
import { Processes } from "../../src/process/Processes.js"
import * as ProcessesLive from "../../src/process/ProcessesLive.js"
import { parseStat } from "../../src/process/ProcessesLive.js"
import { startSleeper, stopAll } from "../support/processes.js"

afterEach(stopAll)

const withPidfds = ProcessesLive.layer().pipe(Layer.provide(Layer.merge(LibcLive, NodeFileSystem.layer)))

/** libc as on a kernel before Linux 5.3: pidfd_open fails with ENOSYS. */
const LibcWithoutPidfds = Layer.effect(
  Libc,
  Effect.map(Libc, (libc) => ({ ...libc, pidfdOpen: () => Effect.fail(new Errno({ syscall: "pidfd_open", code: "ENOSYS" })) }))
).pipe(Layer.provide(LibcLive))
const withoutPidfds = ProcessesLive.layer({ pollInterval: "5 millis" }).pipe(
  Layer.provide(Layer.merge(LibcWithoutPidfds, NodeFileSystem.layer))
)

/** A child that exits at once but whose parent never reaps it: a zombie for as long as the parent lives. */
const startZombie = async (): Promise<Pid> => {
  const parent = spawn("python3", ["-c", "import os,sys,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid,flush=True)\ntime.sleep(600)"], {
    stdio: ["ignore", "pipe", "inherit"]
  })
  const [line] = await once(parent.stdout, "data")
  onTestFinished(() => void parent.kill("SIGKILL"))
  const pid = Number(String(line).trim())
  // The child may not have run its _exit yet.
  while (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]![0] !== "Z") await setTimeout(1)
  return pid as Pid
}

describe("parseStat", () => {
  it("splits at the last parenthesis, whatever the command name holds", () => {
    const fields = Array.from({ length: 50 }, (_, index) => String(index + 3))
    fields[0] = "S"
    fields[19] = "123456"
    expect(parseStat(`42 (evil) Z 1 (name) ${fields.join(" ")}`)).toEqual({ state: "S", startTicks: 123456 })
  })

  it("refuses a line without a start time", () => {
    expect(parseStat("42 (short) S 1")).toBeUndefined()
  })
})

describe.each([
  ["with pidfds", withPidfds],
  ["without pidfds (kill(2) and an identity re-check)", withoutPidfds]
])("the live process table, %s", (_, layer) => {
  it.scoped("sees a running process with its start time, signals it, and notices its exit", () =>
    Effect.gen(function*() {
      const processes = yield* Processes
      const pid = startSleeper() as Pid
      const state = yield* processes.inspect(pid)
      expect(state).toMatchObject({ _tag: "Alive", uid: process.getuid!(), identity: { pid, startTicks: expect.any(Number) } })
      const handle = yield* processes.open(pid)
      if (handle === "Gone") throw new Error("the sleeper should be running")
      expect(yield* processes.signal(handle, "SIGTERM")).toBe("Sent")
      yield* processes.awaitExit(handle)
      expect((yield* processes.inspect(pid))._tag).not.toBe("Alive")
    }).pipe(Effect.provide(layer)))

  it.effect("reports a zombie as a zombie, and opens it as gone", () =>
    Effect.gen(function*() {
      const processes = yield* Processes
      const zombie = yield* Effect.promise(startZombie)
      expect(yield* processes.inspect(zombie)).toEqual({ _tag: "Zombie" })
      expect(yield* Effect.scoped(processes.open(zombie))).toBe("Gone")
    }).pipe(Effect.provide(layer)))

  // Only inspect and open, which send nothing: if the guard failed, the worst
  // that could follow is kill(pid, 0), an existence check.
  it.effect.each([0, 1, -1, -42, 1.5, Number.NaN, 2 ** 40])("refuses to look at a PID made by a cast: %s", (value) =>
    Effect.gen(function*() {
      const processes = yield* Processes
      const attempts: ReadonlyArray<Effect.Effect<unknown, unknown>> = [
        processes.inspect(value as Pid),
        Effect.scoped(processes.open(value as Pid))
      ]
      for (const attempt of attempts) {
        const exit = yield* Effect.exit(attempt)
        expect(exit._tag === "Failure" && exit.cause._tag === "Die").toBe(true)
      }
    }).pipe(Effect.provide(layer)))

  it.effect("reads pid_max from the kernel", () =>
    Effect.gen(function*() {
      const pidMax = yield* (yield* Processes).pidMax
      expect(pidMax).toBeGreaterThan(1)
      expect(pidMax).toBeLessThanOrEqual(4_194_304)
    }).pipe(Effect.provide(layer)))
})
