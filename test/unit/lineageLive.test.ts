/**
 * The live layer's /proc readers against a directory laid out like /proc,
 * which each test writes: odd command names, processes gone before or
 * during a read, threads' children files, a kernel without them, and the
 * system-wide counters, well formed or not. The real /proc is read by the
 * ProcessesLive tests (tree.test.ts, ProcessesLive.test.ts, the contract).
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Fiber, Option } from "effect"
import { spawn } from "node:child_process"
import { once } from "node:events"
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { afterEach, beforeEach, vi } from "vitest"
import { makeLineageReaders, parseLineage } from "../../src/process/lineageLive.js"
import type { Pid } from "../../src/process/Pid.js"

interface Stat {
  readonly pid: number
  readonly command?: string
  readonly state?: string
  readonly parent?: number
  readonly processGroup?: number
  readonly session?: number
  readonly flags?: number
  readonly threads?: number
  readonly startTicks?: number
}

/** A /proc/PID/stat line as the kernel writes it: 52 fields, the ones not given 0. */
const statLine = ({ command = "job", flags = 0x400040, parent = 1, pid, processGroup = pid, session = pid, startTicks = 5000, state = "S", threads = 1 }: Stat) => {
  const fields = Array.from({ length: 50 }, () => "0")
  const set = (field: number, value: string | number) => (fields[field - 3] = String(value))
  set(3, state)
  set(4, parent)
  set(5, processGroup)
  set(6, session)
  set(9, flags)
  set(20, threads)
  set(22, startTicks)
  return `${pid} (${command}) ${fields.join(" ")}\n`
}

let root = ""
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "sipid-proc-"))
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

/** Writes `path` under the fixture whole, by rename: a reader never sees it half written. */
const write = (path: string, text: string) => {
  const file = join(root, path)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(`${file}.new`, text)
  renameSync(`${file}.new`, file)
}

const writeStat = (stat: Stat) => write(`${stat.pid}/stat`, statLine(stat))

const readers = (options: { childrenFiles?: boolean; pidMax?: number } = {}) =>
  makeLineageReaders("boot-a", Effect.succeed(options.pidMax ?? 4_194_304), {
    root,
    ...(options.childrenFiles !== undefined && { childrenFiles: options.childrenFiles })
  })

/** The error a reader failed with, or what it read: readers never defect. */
const run = <A, E>(reader: Effect.Effect<A, E>) => Effect.runSync(Effect.either(reader))

const pid = (value: number) => value as Pid

describe("parseLineage, refusing what is no stat line", () => {
  it("a line with '(' but no ')' after it, even when every field after reads as a number", () => {
    expect(parseLineage(`42(x ${"1 ".repeat(30)}`)).toBeUndefined()
  })

  it("a line without parentheses, even one that Number() would read as numbers (blanks read as 0)", () => {
    // Without the check, the PID is "55" and its blanks, and every empty field 0.
    expect(parseLineage(`55${" ".repeat(20)}x`)).toBeUndefined()
  })
})

describe("lineage", () => {
  it("reads a stat line under the root into the lineage, with the boot's identity", () => {
    writeStat({ pid: 300, command: "a) R 9 (b", state: "Z", parent: 200, processGroup: 250, session: 240, flags: 0x200040, threads: 3, startTicks: 777 })
    expect(run(readers().lineage(pid(300)))).toEqual(Either.right(Option.some({
      identity: { pid: 300, startTicks: 777, bootId: "boot-a" },
      command: "a) R 9 (b",
      state: "Z",
      parent: 200,
      processGroup: 250,
      session: 240,
      kernelThread: true,
      threads: 3
    })))
  })

  it("is none for a process gone before the read (no stat file)", () => {
    expect(run(readers().lineage(pid(300)))).toEqual(Either.right(Option.none()))
  })

  it.live("is none for a process gone between the open and the read (ESRCH)", () =>
    Effect.gen(function*() {
      const sleeper = spawn("sleep", ["30"], { stdio: "ignore" })
      const opened = openSync(`/proc/${sleeper.pid}/stat`, "r")
      yield* Effect.addFinalizer(() => Effect.sync(() => closeSync(opened)))
      sleeper.kill("SIGKILL")
      yield* Effect.promise(() => once(sleeper, "exit"))
      // Opening the open file description again finds the stat file of a process reaped since: its read fails with ESRCH.
      mkdirSync(join(root, "300"))
      symlinkSync(`/proc/self/fd/${opened}`, join(root, "300/stat"))
      expect(run(readers().lineage(pid(300)))).toEqual(Either.right(Option.none()))
    }).pipe(Effect.scoped))

  it("fails, naming the file, when the stat file cannot be read (a directory, or under a file)", () => {
    mkdirSync(join(root, "300/stat"), { recursive: true })
    expect(run(readers().lineage(pid(300)))).toMatchObject(Either.left({ _tag: "OsError", operation: "read", subject: { _tag: "File", path: `${root}/300/stat` }, code: "EISDIR" }))
    write("301", "")
    expect(run(readers().lineage(pid(301)))).toMatchObject(Either.left({ operation: "read", subject: { _tag: "File", path: `${root}/301/stat` }, code: "ENOTDIR" }))
  })

  it("fails, naming the file, on a malformed stat line or one of another PID", () => {
    write("300/stat", "300 (job) S 1\n")
    expect(run(readers().lineage(pid(300)))).toEqual(Either.left(expect.objectContaining({ operation: "parse", subject: { _tag: "File", path: `${root}/300/stat` }, code: "EINVAL" })))
    writeStat({ pid: 302 })
    write("301/stat", statLine({ pid: 302 }))
    expect(run(readers().lineage(pid(301)))).toEqual(Either.left(expect.objectContaining({ operation: "parse", subject: { _tag: "File", path: `${root}/301/stat` }, code: "EINVAL" })))
    expect(Either.isRight(run(readers().lineage(pid(302))))).toBe(true)
  })
})

describe("allPids", () => {
  it("lists every PID directory up to pid_max, without init and what is no PID", () => {
    for (const name of ["1", "2", "300", "1000", "1001", "0", "0300", "self", "thread-self"]) mkdirSync(join(root, name))
    write("loadavg", "0.00 0.00 0.00 1/1 1000\n")
    expect(run(readers({ pidMax: 1000 }).allPids).pipe(Either.map((pids) => [...pids].sort((a, b) => a - b)))).toEqual(Either.right([2, 300, 1000]))
  })

  it("fails, naming the root, when it cannot be listed", () => {
    rmSync(root, { recursive: true })
    writeFileSync(root, "")
    expect(run(readers().allPids)).toMatchObject(Either.left({ operation: "list", subject: { _tag: "File", path: root }, code: "ENOTDIR" }))
  })
})

describe("children, from each thread's children file", () => {
  it("joins every thread's list, a thousand PIDs long included, and drops what is no PID", () => {
    const workers = Array.from({ length: 1000 }, (_, index) => 10_000 + index)
    write("300/task/300/children", `${workers.join(" ")} `)
    write("300/task/301/children", "400 1 junk 5000000 ")
    write("300/task/302/children", "")
    expect(run(readers({ childrenFiles: true, pidMax: 4_194_303 }).children(pid(300)))).toEqual(Either.right([...workers, 400]))
  })

  it("skips a thread gone meanwhile, and is empty for a process gone", () => {
    write("300/task/300/children", "400 ")
    mkdirSync(join(root, "300/task/301"))
    expect(run(readers({ childrenFiles: true }).children(pid(300)))).toEqual(Either.right([400]))
    expect(run(readers({ childrenFiles: true }).children(pid(301)))).toEqual(Either.right([]))
  })

  it("fails, naming the task directory, when a thread list or children file cannot be read", () => {
    write("300/task", "")
    expect(run(readers({ childrenFiles: true }).children(pid(300)))).toMatchObject(Either.left({ operation: "read", subject: { _tag: "File", path: `${root}/300/task` }, code: "ENOTDIR" }))
    mkdirSync(join(root, "301/task/301/children"), { recursive: true })
    expect(run(readers({ childrenFiles: true }).children(pid(301)))).toMatchObject(Either.left({ operation: "read", subject: { _tag: "File", path: `${root}/301/task` }, code: "EISDIR" }))
  })
})

describe("children, on a kernel without children files", () => {
  it("finds the processes whose parent is the PID, skipping one gone meanwhile", () => {
    writeStat({ pid: 300 })
    writeStat({ pid: 301, parent: 300 })
    writeStat({ pid: 302, parent: 301 })
    writeStat({ pid: 303, parent: 300 })
    mkdirSync(join(root, "304"))
    expect(run(readers({ childrenFiles: false }).children(pid(300)))).toEqual(Either.right([301, 303]))
    expect(run(readers({ childrenFiles: false }).children(pid(302)))).toEqual(Either.right([]))
  })

  it("fails when a process's stat line is malformed", () => {
    writeStat({ pid: 301, parent: 300 })
    write("302/stat", "302 (job)\n")
    expect(run(readers({ childrenFiles: false }).children(pid(300)))).toMatchObject(Either.left({ operation: "parse", subject: { _tag: "File", path: `${root}/302/stat` } }))
  })
})

describe("whether the kernel has children files, found out when not given", () => {
  // The fixture disagrees with itself: 301's stat line names 300 its parent, 300's children file names 302.
  const disagreeing = () => {
    writeStat({ pid: 300 })
    writeStat({ pid: 301, parent: 300 })
    writeStat({ pid: 302 })
    write("300/task/300/children", "302 ")
  }

  it("reads children files when the reader's own thread has one", () => {
    disagreeing()
    write(`self/task/${process.pid}/children`, "")
    expect(run(readers().children(pid(300)))).toEqual(Either.right([302]))
  })

  it("scans every process's parent when it has none", () => {
    disagreeing()
    expect(run(readers().children(pid(300)))).toEqual(Either.right([301]))
  })
})

/** A reader of the system-wide file `name` refuses each of `texts`, and fails naming the file without it (such a file is never gone). */
const refusesEachAndNeeds = (name: string, texts: ReadonlyArray<string>, reader: () => Effect.Effect<unknown, unknown>) => {
  for (const text of texts) {
    write(name, text)
    expect(run(reader())).toEqual(Either.left(expect.objectContaining({ operation: "parse", subject: { _tag: "File", path: `${root}/${name}` }, code: "EINVAL" })))
  }
  rmSync(join(root, name))
  expect(run(reader())).toMatchObject(Either.left({ operation: "read", subject: { _tag: "File", path: `${root}/${name}` }, code: "ENOENT" }))
}

describe("newestPid and forkCount", () => {
  it("newestPid is loadavg's last field", () => {
    write("loadavg", "0.52 0.61 0.70 2/345 4567\n")
    expect(run(readers().newestPid)).toEqual(Either.right(4567))
  })

  it("newestPid refuses a loadavg without a count last, and fails without one", () => {
    refusesEachAndNeeds("loadavg", ["x", "-3", "1.5"].map((last) => `0.52 0.61 0.70 2/345 ${last}\n`), () => readers().newestPid)
  })

  it("forkCount is /proc/stat's processes line, zero included", () => {
    write("stat", "cpu  1 2 3 4\nintr 5 6\nctxt 789\nbtime 1700000000\nprocesses 98765\nprocs_running 2\n")
    expect(run(readers().forkCount)).toEqual(Either.right(98765))
    write("stat", "cpu  1 2 3 4\nprocesses 0\n")
    expect(run(readers().forkCount)).toEqual(Either.right(0))
  })

  it("forkCount refuses a /proc/stat without a count on its processes line, and fails without one", () => {
    refusesEachAndNeeds("stat", ["cpu  1 2 3 4\nprocs_running 2\n", "processes many\n", "processes -1\n", "processes 2.5\n"], () => readers().forkCount)
  })
})

describe("startTicksNow and autogroup", () => {
  it.each([["350735.47 234388.90\n", 35_073_547], ["0.05 0.00\n", 5]] as const)(
    "startTicksNow is /proc/uptime in hundredths of a second, the ticks start times count: %j is %i",
    (uptime, ticks) => {
      write("uptime", uptime)
      expect(run(readers().startTicksNow)).toEqual(Either.right(ticks))
    }
  )

  it("startTicksNow refuses an uptime without two decimals, and fails without one", () => {
    refusesEachAndNeeds("uptime", ["350735 234388\n", "350735.4 234388.9\n", "-1.00 0.00\n", "x.47 0.00\n", ""], () => readers().startTicksNow)
  })

  it("autogroup is the number in /proc/PID/autogroup, negative past 2^31 as the kernel prints it; none when empty (the root group) or gone", () => {
    write("300/autogroup", "/autogroup-123 nice 0\n")
    expect(run(readers().autogroup(pid(300)))).toEqual(Either.right(Option.some(123)))
    write("300/autogroup", "/autogroup--2147483000 nice -5\n")
    expect(run(readers().autogroup(pid(300)))).toEqual(Either.right(Option.some(-2_147_483_000)))
    write("300/autogroup", "")
    expect(run(readers().autogroup(pid(300)))).toEqual(Either.right(Option.none()))
    expect(run(readers().autogroup(pid(301)))).toEqual(Either.right(Option.none()))
  })

  it("autogroup refuses anything else the file could hold", () => {
    for (const text of ["/autogroup-x nice 0\n", "/autogroup-12 nice 0", "autogroup-12 nice 0\n", "/autogroup-12\n", "/autogroup-12 nice 0\n/autogroup-13 nice 0\n"]) {
      write("300/autogroup", text)
      expect(run(readers().autogroup(pid(300)))).toEqual(Either.left(expect.objectContaining({ operation: "parse", subject: { _tag: "File", path: `${root}/300/autogroup` }, code: "EINVAL" })))
    }
  })
})

describe("readers close what they open", () => {
  it("no file descriptor is left open, whether a read succeeds or fails", () => {
    writeStat({ pid: 300 })
    write("300/task/300/children", "400 ")
    write("loadavg", "0.52 0.61 0.70 2/345 4567\n")
    write("stat", "processes 98765\n")
    write("uptime", "350735.47 234388.90\n")
    write("300/autogroup", "/autogroup-123 nice 0\n")
    mkdirSync(join(root, "301/stat"), { recursive: true })
    const openFiles = () => readdirSync("/proc/self/fd").length
    const before = openFiles()
    const all = readers({ childrenFiles: true })
    const reads: ReadonlyArray<Effect.Effect<unknown, unknown>> = [all.lineage(pid(300)), all.lineage(pid(301)), all.children(pid(300)), all.newestPid, all.forkCount, all.startTicksNow, all.autogroup(pid(300))]
    for (const read of reads) run(read)
    expect(openFiles()).toBe(before)
  })
})

describe("newestPidAfter (a bare timer, on the live clock)", () => {
  const bounded = <A, E>(wait: Effect.Effect<A, E>) => Effect.timeoutFail(wait, { duration: "5 seconds", onTimeout: () => "still waiting" })

  it.live("answers at once when the newest PID has already moved, whatever the interval", () =>
    Effect.gen(function*() {
      write("loadavg", "0.52 0.61 0.70 2/345 4567\n")
      expect(yield* bounded(readers().newestPidAfter(4500, Duration.hours(1)))).toBe(4567)
    }))

  it.live("waits while the newest PID stays the same, and answers the new one once it moved", () =>
    Effect.gen(function*() {
      write("loadavg", "0.52 0.61 0.70 2/345 4567\n")
      const waiting = yield* Effect.fork(bounded(readers().newestPidAfter(4567, Duration.millis(5))))
      yield* Effect.sleep("60 millis")
      expect(yield* Fiber.poll(waiting)).toEqual(Option.none())
      write("loadavg", "0.52 0.61 0.70 2/346 4570\n")
      expect(yield* Fiber.join(waiting)).toBe(4570)
    }))

  it.live("fails, naming loadavg, when it cannot be read while waiting", () =>
    Effect.gen(function*() {
      write("loadavg", "0.52 0.61 0.70 2/345 4567\n")
      const waiting = yield* Effect.fork(bounded(readers().newestPidAfter(4567, Duration.millis(5))))
      yield* Effect.sleep("30 millis")
      rmSync(join(root, "loadavg"))
      expect(yield* Effect.flip(Fiber.join(waiting))).toMatchObject({ operation: "read", subject: { _tag: "File", path: `${root}/loadavg` }, code: "ENOENT" })
    }))

  it.live("stops its timer when interrupted", () =>
    Effect.gen(function*() {
      write("loadavg", "0.52 0.61 0.70 2/345 4567\n")
      const started = vi.spyOn(globalThis, "setInterval")
      const cleared = vi.spyOn(globalThis, "clearInterval")
      yield* Effect.addFinalizer(() => Effect.sync(() => (started.mockRestore(), cleared.mockRestore())))
      const waiting = yield* Effect.fork(readers().newestPidAfter(4567, Duration.millis(7)))
      yield* Effect.sleep("30 millis")
      const timer = started.mock.results[started.mock.calls.findIndex(([, every]) => every === 7)]?.value
      expect(timer).toBeDefined()
      expect(cleared).not.toHaveBeenCalledWith(timer)
      yield* Fiber.interrupt(waiting)
      expect(cleared).toHaveBeenCalledWith(timer)
    }).pipe(Effect.scoped))
})
