/**
 * The live process table's parsing and guards, without starting processes
 * (ProcessesContract.test.ts runs it against real ones, on the live clock).
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { LibcLive } from "../../src/native/Libc.js"
import type { Pid } from "../../src/process/Pid.js"
import { Processes } from "../../src/process/Processes.js"
import * as ProcessesLive from "../../src/process/ProcessesLive.js"
import { parseStat, parseStatus } from "../../src/process/ProcessesLive.js"

const liveTable = (fs: Layer.Layer<FileSystem.FileSystem> = NodeFileSystem.layer) =>
  ProcessesLive.layer().pipe(Layer.provide(Layer.merge(LibcLive, fs)))

/** The real file system, except that /proc/sys/kernel/pid_max reads `value`. */
const pidMaxReading = (value: string) =>
  Layer.effect(
    FileSystem.FileSystem,
    Effect.map(FileSystem.FileSystem, (fs) => ({
      ...fs,
      readFileString: (path: string, encoding?: string) =>
        path === "/proc/sys/kernel/pid_max" ? Effect.succeed(value) : fs.readFileString(path, encoding)
    }))
  ).pipe(Layer.provide(NodeFileSystem.layer))

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

describe("parseStatus", () => {
  it("reads the thread group and the real, effective and saved uid", () => {
    const status =
      "Name:\tpython3\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4100\nNgid:\t0\nPid:\t4102\nPPid:\t1\nTracerPid:\t0\nUid:\t0\t65534\t0\t65534\nGid:\t0\t0\t0\t0\nThreads:\t3\n"
    expect(parseStatus(status)).toEqual({ threadGroup: 4100, threads: 3, uids: { real: 0, effective: 65534, saved: 0 } })
  })

  it.each(["", "Tgid:\t4100\nThreads:\t1\n", "Threads:\t1\nUid:\t0\t0\t0\t0\n", "Tgid:\tx\nThreads:\t1\nUid:\t0\t0\t0\t0\n", "Tgid:\t1\nThreads:\t1\nUid:\t0\t0\n"])("refuses %j", (status) => {
    expect(parseStatus(status)).toBeUndefined()
  })
})

describe("the live process table", () => {
  // Only inspect and open, which send nothing: if the guard failed, the worst
  // that could follow is kill(pid, 0), an existence check.
  it.live.each([0, 1, -1, -42, 1.5, Number.NaN, 2 ** 40])("refuses to look at a PID made by a cast: %s", (value) =>
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
    }).pipe(Effect.provide(liveTable())))

  it.live.each([["32768\n", 32768], ["4242\n", 4242], ["garbage\n", 4_194_304], ["1\n", 4_194_304]] as const)(
    "takes pid_max from /proc/sys/kernel/pid_max: %j gives %d",
    ([text, expected]) =>
      Effect.gen(function*() {
        expect(yield* (yield* Processes).pidMax).toBe(expected)
      }).pipe(Effect.provide(liveTable(pidMaxReading(text))))
  )
})
