/**
 * The live process table's parsing, guards, error mapping, pidfd budget and
 * waiting, without starting processes (ProcessesContract.test.ts runs it
 * against real ones, on the live clock). Where a process is needed it is the
 * test's own, with libc's signal call faked, or a fake PID above pid_max
 * with /proc faked and process.kill stubbed: nothing is ever sent. Only
 * exitedAmong runs on the TestClock, and only on the test's own process.
 */
import { describe, expect, it, vi } from "@effect/vitest"
import { Duration, Effect, Either, Exit, Fiber, Layer, Logger, Option, TestClock } from "effect"
import { readdirSync, readFileSync, readlinkSync } from "node:fs"
import { constants } from "node:os"
import { OsError, OsSubject } from "../../src/os/OsError.js"
import { ProcessHidden } from "../../src/process/errors.js"
import { Errno, Libc, LibcLive, type LibcService } from "../../src/native/Libc.js"
import { type Pid, pidMaxCeiling } from "../../src/process/Pid.js"
import { Processes } from "../../src/process/Processes.js"
import * as ProcessesLive from "../../src/process/ProcessesLive.js"
import { parseLineage, readProcFile } from "../../src/process/lineageLive.js"
import { parseStatus } from "../../src/process/ProcessesLive.js"

const liveTable = (options: ProcessesLive.LiveOptions = {}, libc: Layer.Layer<Libc> = LibcLive) =>
  ProcessesLive.layer(options).pipe(Layer.provide(libc))

/** Reads /proc, except that `path` reads `value`, or is missing when `value` is undefined. */
const fileReading = (path: string, value: string | undefined): ProcessesLive.LiveOptions => ({
  readProcFile: (read) => read !== path ? readProcFile(read) : Option.fromNullable(value)
})

/** Reads /proc, except that reading `path` throws as the kernel refusing it with `code` would. */
const fileFailing = (path: string, code: string): ProcessesLive.LiveOptions => ({
  readProcFile: (read) => {
    if (read === path) throw Object.assign(new Error(`${code}: ${read}`), { code })
    return readProcFile(read)
  }
})

/** /proc/sys/kernel/pid_max reads `value`. */
const pidMaxReading = (value: string) => fileReading("/proc/sys/kernel/pid_max", value)

/** The real libc with some calls replaced; `overrides` may call the real ones. */
const libcAround = (overrides: (libc: LibcService) => Partial<LibcService>) =>
  Layer.effect(Libc, Effect.map(Libc, (libc) => ({ ...libc, ...overrides(libc) }))).pipe(Layer.provide(LibcLive))

/** The real libc with some calls replaced. */
const libcWith = (overrides: Partial<LibcService>) => libcAround(() => overrides)

const failing = (syscall: string, code: string) => () => Effect.fail(new Errno({ syscall, code }))

/** This test's own process: safe to inspect and open, never signalled (the signal call is faked). */
const self = process.pid as Pid

/** `stat` with field 22, the start time, one tick later: as a process that took the PID over. */
const anotherStartTime = (stat: string) => {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  fields[19] = String(Number(fields[19]) + 1)
  return `${stat.slice(0, stat.lastIndexOf(")") + 2)}${fields.join(" ")}`
}

/** A PID above this kernel's pid_max (32768 here), so no process has it: /proc is faked for it and kill(2) stubbed. */
const fake = 4_000_000 as Pid

/** A running process on `fake`, as /proc would show it; without pidfds (ENOSYS), so only kill(2) could reach it. */
const fakeProcess = liveTable(
  {
    readProcFile: (path) =>
      path === `/proc/${fake}/stat`
        ? Option.some(readFileSync(`/proc/${self}/stat`, "latin1").replace(/^\d+/, String(fake)))
        : path === `/proc/${fake}/status`
        ? Option.some(`Tgid:\t${fake}\nThreads:\t1\nUid:\t0\t0\t0\t0\n`)
        : readProcFile(path)
  },
  libcWith({ pidfdOpen: failing("pidfd_open", "ENOSYS") })
)

/**
 * Runs `effect` with process.kill stubbed: kill(fake, `signal`) fails with
 * `code`, and any other call throws before reaching the kernel.
 */
const killFailing = (signal: number, code: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() =>
      vi.spyOn(process, "kill").mockImplementation((pid, sent) => {
        throw pid === fake && sent === signal
          ? Object.assign(new Error(`kill ${code}`), { code, syscall: "kill" })
          : new Error(`this test sends nothing: kill(${pid}, ${sent}) refused`)
      })
    ),
    () => effect,
    (spy) => Effect.sync(() => spy.mockRestore())
  )

describe("parseLineage, as inspect reads /proc/PID/stat", () => {
  it("splits at the last parenthesis, whatever the command name holds", () => {
    const fields = Array.from({ length: 50 }, (_, index) => String(index + 3))
    fields[0] = "S"
    fields[19] = "123456"
    expect(parseLineage(`42 (evil) Z 1 (name) ${fields.join(" ")}`)).toMatchObject({ state: "S", startTicks: 123456 })
  })

  it("refuses a line without a start time", () => {
    expect(parseLineage("42 (short) S 1")).toBeUndefined()
  })
})

describe("parseStatus", () => {
  it("reads the thread group and the real, effective and saved uid", () => {
    const status =
      "Name:\tpython3\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4100\nNgid:\t0\nPid:\t4102\nPPid:\t1\nTracerPid:\t0\nUid:\t0\t65534\t0\t65534\nGid:\t0\t0\t0\t0\nThreads:\t3\n"
    expect(parseStatus(status)).toEqual({ threadGroup: 4100, threads: 3, uids: { real: 0, effective: 65534, saved: 0 } })
  })

  it.each([
    "",
    "Tgid:\t4100\nThreads:\t1\n",
    "Threads:\t1\nUid:\t0\t0\t0\t0\n",
    "Tgid:\tx\nThreads:\t1\nUid:\t0\t0\t0\t0\n",
    "Tgid:\t1\nThreads:\t1\nUid:\t0\t0\n",
    "Tgid:\t-1\nThreads:\t1\nUid:\t0\t0\t0\t0\n",
    "Tgid:\t1\nThreads:\t1\nUid:\t0\t-2\t0\t0\n",
    "Tgid:\t1\nThreads:\t1.5\nUid:\t0\t0\t0\t0\n",
    "Tgid:\t1\nThreads:\t1\nUid:\t99999999999999999999\t0\t0\t0\n"
  ])("refuses %j", (status) => {
    expect(parseStatus(status)).toBeUndefined()
  })

  it("reads fields apart by any run of blanks", () => {
    expect(parseStatus("Tgid:  4100\nThreads:\t 3\nUid:\t0  65534 \t0\t65534\n")).toEqual({
      threadGroup: 4100,
      threads: 3,
      uids: { real: 0, effective: 65534, saved: 0 }
    })
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
        expect(exit._tag === "Failure" && exit.cause._tag === "Die" && String(exit.cause.defect)).toContain(
          `refusing to act on PID ${value}: not a validated PID (parsePid)`
        )
      }
    }).pipe(Effect.provide(liveTable())))

  it.live.each([["32768\n", 32768], ["4242\n", 4242], ["garbage\n", 4_194_304], ["1\n", 4_194_304]] as const)(
    "takes pid_max from /proc/sys/kernel/pid_max: %j gives %d",
    ([text, expected]) =>
      Effect.gen(function*() {
        expect(yield* (yield* Processes).pidMax).toBe(expected)
      }).pipe(Effect.provide(liveTable(pidMaxReading(text))))
  )

  it.live.each([
    ["missing", fileReading("/proc/sys/kernel/pid_max", undefined)],
    ["unreadable", fileFailing("/proc/sys/kernel/pid_max", "EACCES")]
  ] as const)("takes the largest pid_max Linux allows when /proc/sys/kernel/pid_max is %s", ([, options]) =>
    Effect.gen(function*() {
      expect(yield* (yield* Processes).pidMax).toBe(pidMaxCeiling)
    }).pipe(Effect.provide(liveTable(options))))

  it.live.each([
    ["missing", fileReading("/proc/sys/kernel/random/boot_id", undefined)],
    ["unreadable", fileFailing("/proc/sys/kernel/random/boot_id", "EACCES")]
  ] as const)("calls the boot unknown when its boot id is %s", ([, options]) =>
    Effect.gen(function*() {
      expect((yield* Processes).bootId).toBe("unknown")
    }).pipe(Effect.provide(liveTable(options))))

  it.live("a /proc file that cannot be read is a system error naming the read and the file", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* Processes).inspect(self))
      expect(error).toMatchObject({ _tag: "OsError", operation: "read", subject: { path: `/proc/${self}/stat` }, code: "EACCES" })
    }).pipe(Effect.provide(liveTable(fileFailing(`/proc/${self}/stat`, "EACCES")))))

  it.live("tells processes of this boot by the kernel's boot id", () =>
    Effect.gen(function*() {
      const state = yield* (yield* Processes).inspect(self)
      expect(state._tag === "Alive" && state.identity.bootId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    }).pipe(Effect.provide(liveTable())))

  it.live.each([
    ["stat state X", `/proc/${self}/stat`, readFileSync(`/proc/${self}/stat`, "utf8").replace(/\) \S /, ") X "), { _tag: "Zombie" }],
    ["a status that vanished", `/proc/${self}/status`, undefined, { _tag: "Gone" }]
  ] as const)("reads %s as what it means", ([, path, content, expected]) =>
    Effect.gen(function*() {
      expect(yield* (yield* Processes).inspect(self)).toEqual(expected)
    }).pipe(Effect.provide(liveTable(fileReading(path, content)))))

  // Named by the file's name only: Stryker finds a test by its name, which must not change between runs.
  it.live.each([
    ["stat", "4242 (sleep) S"],
    ["status", "Name:\tsleep\n"]
  ])("fails on an unparsable /proc/PID/%s", ([file, content]) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* Processes).inspect(self))
      expect(error).toMatchObject({ _tag: "OsError", operation: "parse", subject: { path: `/proc/${self}/${file}` }, code: "EINVAL" })
    }).pipe(Effect.provide(liveTable(fileReading(`/proc/${self}/${file}`, content)))))

  it.live("a process that exists without a /proc entry is hidden (hidepid), never gone", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* Processes).inspect(self))
      expect(error).toEqual(new ProcessHidden({ pid: self }))
      expect(error.message).toBe(`process ${self}: it exists but /proc/${self} is hidden (/proc mounted with hidepid?)`)
    }).pipe(Effect.provide(liveTable(fileReading(`/proc/${self}/stat`, undefined)))))

  it.scopedLive.each([
    ["ESRCH", "Gone"],
    ["ENOENT", "Gone"]
  ])("pidfd_open failing with %s (about the process): it opens as %s", ([code, expected]) =>
    Effect.gen(function*() {
      const handle = yield* (yield* Processes).open(self)
      expect(handle._tag).toBe(expected)
    }).pipe(Effect.provide(liveTable({}, libcWith({ pidfdOpen: failing("pidfd_open", code) })))))

  it.scopedLive.each(["ENOSYS", "EINVAL", "EPERM", "ENOMEM", "EMFILE", "ENFILE"])(
    "pidfd_open refused with %s (not about the process): pinned by its start time, said once",
    (code) =>
      Effect.gen(function*() {
        const logs: Array<string> = []
        const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void logs.push(String(message))))
        const processes = yield* Processes
        const handles = yield* Effect.all([processes.open(self), processes.open(self)]).pipe(Effect.provide(logger))
        expect(handles.map((handle) => handle._tag === "Open" && handle.pinnedBy)).toEqual(["Identity", "Identity"])
        expect(logs).toEqual([`pidfd_open refused (${code}): signalling through kill(2), each signal right after checking the process's start time`])
      }).pipe(Effect.provide(liveTable({}, libcWith({ pidfdOpen: failing("pidfd_open", code) }))))
  )

  it.scopedLive("a pidfd already readable once /proc was read: the PID changed hands, so gone", () =>
    Effect.gen(function*() {
      expect(yield* (yield* Processes).open(self)).toEqual({ _tag: "Gone" })
    }).pipe(Effect.provide(liveTable({}, libcWith({ readableNow: (fds) => Effect.succeed(fds) })))))

  it.live.each([
    ["ESRCH", "gone", Either.right({ _tag: "Gone" })],
    ["EPERM", "hidden, never gone", Either.left(new ProcessHidden({ pid: fake }))]
  ] as const)("a PID without a /proc entry for which kill(pid, 0) fails with %s is %s", ([code, , expected]) =>
    Effect.gen(function*() {
      expect(yield* Effect.either((yield* Processes).inspect(fake))).toEqual(expected)
    }).pipe(killFailing(0, code), Effect.provide(liveTable(fileReading(`/proc/${fake}/stat`, undefined)))))

  it.live("a PID without a /proc entry that kill(pid, 0) finds once, then not (a reap between the two lookups): gone, not hidden", () => {
    const answers = ["found", "ESRCH"]
    return Effect.acquireUseRelease(
      Effect.sync(() =>
        vi.spyOn(process, "kill").mockImplementation((pid, sent) => {
          if (pid !== fake || sent !== 0) throw new Error(`this test sends nothing: kill(${pid}, ${sent}) refused`)
          const answer = answers.shift()
          if (answer === "found") return true
          throw Object.assign(new Error(`kill ${answer}`), { code: answer, syscall: "kill" })
        })
      ),
      () =>
        Effect.gen(function*() {
          expect(yield* (yield* Processes).inspect(fake)).toEqual({ _tag: "Gone" })
          expect(answers).toEqual([])
        }),
      (spy) => Effect.sync(() => spy.mockRestore())
    ).pipe(Effect.provide(liveTable(fileReading(`/proc/${fake}/stat`, undefined))))
  })

  it.scopedLive.each([
    ["ESRCH", Either.right("Gone")],
    ["EPERM", Either.left({ _tag: "OsError", operation: "send SIGTERM", subject: { _tag: "Process", pid: fake }, code: "EPERM" })]
  ] as const)("without pidfds, kill(2) failing with %s", ([code, expected]) =>
    Effect.gen(function*() {
      const handle = yield* (yield* Processes).open(fake)
      if (handle._tag === "Gone") return expect.unreachable("the fake process is running")
      expect(handle.pinnedBy).toBe("Identity")
      expect(yield* Effect.either(handle.signal("SIGTERM"))).toMatchObject(expected)
    }).pipe(killFailing(constants.signals.SIGTERM, code), Effect.provide(fakeProcess)))

  it.scopedLive("a poll that fails while opening is a system error naming the poll", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* Processes).open(self))
      expect(error).toMatchObject({ _tag: "OsError", operation: "poll", subject: { _tag: "Process", pid: self }, code: "EBADF" })
    }).pipe(Effect.provide(liveTable({}, libcWith({ readableNow: failing("poll", "EBADF") })))))

  it.scopedLive("a poll that fails while awaiting exit is a system error naming the poll", () =>
    Effect.gen(function*() {
      const handle = yield* (yield* Processes).open(self)
      if (handle._tag === "Gone") return expect.unreachable("this process is running")
      const error = yield* Effect.flip(handle.awaitExit)
      expect(error).toMatchObject({ _tag: "OsError", operation: "poll", subject: { _tag: "Process", pid: self }, code: "EBADF" })
    }).pipe(Effect.provide(liveTable({}, libcWith({ waitReadable: failing("poll", "EBADF") })))))

  it.scopedLive("a poll that fails while waiting among handles is a system error naming the poll", () =>
    Effect.gen(function*() {
      const processes = yield* Processes
      const handle = yield* processes.open(self)
      if (handle._tag === "Gone") return expect.unreachable("this process is running")
      const error = yield* Effect.flip(processes.exitedAmong([handle], Duration.seconds(1)))
      expect(error).toMatchObject({ _tag: "OsError", operation: "poll", subject: { _tag: "Process", pid: self }, code: "EBADF" })
    }).pipe(Effect.provide(liveTable({}, libcWith({ readableAmong: failing("poll", "EBADF") })))))

  const sendFailed = (code: string, description: string) =>
    Either.left(
      new OsError({
        operation: "send SIGTERM",
        subject: OsSubject.Process({ pid: self }),
        code,
        detail: `${code} (${description})`,
        cause: new Errno({ syscall: "pidfd_send_signal", code })
      })
    )

  it.scopedLive.each([
    ["ESRCH", Either.right("Gone")],
    ["EPERM", sendFailed("EPERM", "operation not permitted")],
    ["EIO", sendFailed("EIO", "i/o error")]
  ] as const)("pidfd_send_signal failing with %s", ([code, expected]) =>
    Effect.gen(function*() {
      const handle = yield* (yield* Processes).open(self)
      if (handle._tag === "Gone") return expect.unreachable("this process is running")
      expect(yield* Effect.either(handle.signal("SIGTERM"))).toEqual(expected)
    }).pipe(Effect.provide(liveTable({}, libcWith({ pidfdSendSignal: failing("pidfd_send_signal", code) })))))
})

describe("the live table's pidfd budget", () => {
  /** What this process's descriptor `fd` is now: its link in /proc/self/fd, or "closed". */
  const descriptor = (fd: number) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      return "closed"
    }
  }

  it("reads the soft open-file limit from /proc/self/limits", () => {
    const limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 524288               files     \n"
    expect(ProcessesLive.softOpenFileLimit(limits)).toBe(1024)
    expect(ProcessesLive.softOpenFileLimit("Max open files unlimited unlimited files")).toBe(Infinity)
    expect(ProcessesLive.softOpenFileLimit("Max processes 10 10 processes")).toBeUndefined()
    expect(ProcessesLive.softOpenFileLimit("Max open files 0 4096 files")).toBe(0)
    expect(ProcessesLive.softOpenFileLimit("Max open files -5 4096 files")).toBeUndefined()
  })

  it.scopedLive("holds pidfds up to the soft limit less the reserve; past it a handle is pinned by identity", () =>
    Effect.gen(function*() {
      const processes = yield* Processes
      const handles = yield* Effect.forEach([1, 2, 3], () => processes.open(self))
      expect(handles.map((handle) => handle._tag === "Open" && handle.pinnedBy)).toEqual(["Pidfd", "Pidfd", "Identity"])
    }).pipe(Effect.provide(liveTable({
      ...fileReading("/proc/self/limits", `Max open files ${ProcessesLive.fileReserve + 2} 4096 files\n`),
      descriptorsAtStart: 0
    }))))

  it.scopedLive("counts the descriptors already open (a start script may pass on dozens) against the limit", () =>
    Effect.suspend(() => {
      const open = readdirSync("/proc/self/fd").length - 1
      return Effect.gen(function*() {
        const processes = yield* Processes
        const handles = yield* Effect.forEach([1, 2, 3], () => processes.open(self))
        expect(handles.map((handle) => handle._tag === "Open" && handle.pinnedBy)).toEqual(["Pidfd", "Pidfd", "Identity"])
      }).pipe(Effect.provide(liveTable(fileReading("/proc/self/limits", `Max open files ${open + ProcessesLive.fileReserve + 2} 4096 files\n`))))
    }))

  it.scopedLive("without /proc/self/limits, holds 1024 pidfds less the reserve", () =>
    Effect.gen(function*() {
      const processes = yield* Processes
      const handles = yield* Effect.forEach(Array.from({ length: 1024 - ProcessesLive.fileReserve + 1 }), () => processes.open(self))
      const pinnedBy = handles.map((handle) => handle._tag === "Open" && handle.pinnedBy)
      expect(pinnedBy.lastIndexOf("Pidfd")).toBe(1024 - ProcessesLive.fileReserve - 1)
      expect(pinnedBy.indexOf("Identity")).toBe(1024 - ProcessesLive.fileReserve)
    }).pipe(Effect.provide(liveTable({ ...fileReading("/proc/self/limits", undefined), descriptorsAtStart: 0 }))))

  it.scopedLive("a process found gone holds none of the budget", () => {
    let opens = 0
    return Effect.gen(function*() {
      const processes = yield* Processes
      expect(yield* processes.open(self)).toEqual({ _tag: "Gone" })
      const handle = yield* processes.open(self)
      expect(handle._tag === "Open" && handle.pinnedBy).toBe("Pidfd")
    }).pipe(Effect.provide(liveTable(
      { pidfdBudget: 1 },
      libcAround((libc) => ({ pidfdOpen: (pid) => opens++ === 0 ? failing("pidfd_open", "ESRCH")() : libc.pidfdOpen(pid) }))
    )))
  })

  it.scopedLive("a handle whose scope closed closes its pidfd and gives it back to the budget", () => {
    const opened: Array<number> = []
    return Effect.gen(function*() {
      const processes = yield* Processes
      const first = yield* Effect.scoped(processes.open(self))
      expect(first._tag === "Open" && first.pinnedBy).toBe("Pidfd")
      expect(opened).toHaveLength(1)
      // Closed: the number is free, or already reused by something other than a pidfd.
      expect(descriptor(opened[0]!)).not.toBe("anon_inode:[pidfd]")
      const second = yield* processes.open(self)
      expect(second._tag === "Open" && second.pinnedBy).toBe("Pidfd")
      expect(descriptor(opened[1]!)).toBe("anon_inode:[pidfd]")
    }).pipe(Effect.provide(liveTable(
      { pidfdBudget: 1 },
      libcAround((libc) => ({ pidfdOpen: (pid) => Effect.tap(libc.pidfdOpen(pid), (fd) => void opened.push(fd)) }))
    )))
  })

  it.scopedLive("an identity-pinned handle whose process is gone when it signals sends nothing", () => {
    let gone = false
    const calls: Array<string> = []
    return Effect.gen(function*() {
      const handle = yield* (yield* Processes).open(self)
      if (handle._tag === "Gone") return expect.unreachable("this process is running")
      expect(handle.pinnedBy).toBe("Identity")
      gone = true
      expect(yield* handle.signal("SIGTERM")).toBe("Gone")
      expect(calls).toEqual([])
    }).pipe(Effect.provide(liveTable(
      { pidfdBudget: 0 },
      libcAround((libc) => ({
        pidfdOpen: (pid) => gone ? failing("pidfd_open", "ESRCH")() : libc.pidfdOpen(pid),
        pidfdSendSignal: () => Effect.sync(() => void calls.push("send"))
      }))
    )))
  })

  /** The live table with the budget spent, recording libc's pidfd calls and each read of this process's stat; a signal is recorded, never sent. */
  const recorded = (calls: Array<string>, stat: () => string | undefined) =>
    liveTable(
      {
        pidfdBudget: 0,
        readProcFile: (path) => {
          if (path !== `/proc/${self}/stat`) return readProcFile(path)
          calls.push("read stat")
          return Option.fromNullable(stat())
        }
      },
      Layer.effect(Libc, Effect.map(Libc, (libc) => ({
        ...libc,
        pidfdOpen: (pid: number) => Effect.tap(libc.pidfdOpen(pid), () => calls.push("pidfd_open")),
        pidfdSendSignal: () => Effect.sync(() => void calls.push("send"))
      }))).pipe(Layer.provide(LibcLive))
    )

  it.scopedLive("an identity-pinned handle sends only after checking, through a pidfd opened for that signal, that the PID still names its process", () => {
    const calls: Array<string> = []
    const real = readFileSync(`/proc/${self}/stat`, "latin1")
    return Effect.gen(function*() {
      const handle = yield* (yield* Processes).open(self)
      if (handle._tag === "Gone") return expect.unreachable("this process is running")
      expect(handle.pinnedBy).toBe("Identity")
      calls.length = 0
      expect(yield* handle.signal("SIGTERM")).toBe("Sent")
      expect(calls).toEqual(["pidfd_open", "read stat", "send"])
    }).pipe(Effect.provide(recorded(calls, () => real)))
  })

  it.scopedLive("an identity-pinned handle whose PID now names another process (another start time) sends nothing", () => {
    const calls: Array<string> = []
    const real = readFileSync(`/proc/${self}/stat`, "latin1")
    let stat = real
    return Effect.gen(function*() {
      const handle = yield* (yield* Processes).open(self)
      if (handle._tag === "Gone") return expect.unreachable("this process is running")
      stat = anotherStartTime(real)
      expect(yield* handle.signal("SIGKILL")).toBe("Gone")
      expect(calls).not.toContain("send")
      expect(yield* (yield* Processes).exitedAmong([handle], Duration.zero)).toEqual([handle])
    }).pipe(Effect.provide(recorded(calls, () => stat)))
  })
})

describe("exitedAmong, on the test clock", () => {
  interface Poll {
    readonly fds: ReadonlyArray<number>
    readonly millis: number
  }

  /**
   * The live table on this test's own process, with nothing ever readable:
   * readableAmong records each poll and sleeps on the Clock. This process's
   * stat reads `stat()`; `opened` gets each pidfd pidfd_open returns.
   */
  const sweeping = (
    { pidfdBudget, pollInterval }: { readonly pidfdBudget: number; readonly pollInterval: number },
    record: { readonly polls: Array<Poll>; readonly opened: Array<number>; readonly stat: () => string }
  ) =>
    liveTable(
      {
        pidfdBudget,
        pollInterval: Duration.millis(pollInterval),
        readProcFile: (path) => path === `/proc/${self}/stat` ? Option.some(record.stat()) : readProcFile(path)
      },
      libcAround((libc) => ({
        pidfdOpen: (pid) => Effect.tap(libc.pidfdOpen(pid), (fd) => void record.opened.push(fd)),
        pidfdSendSignal: () => Effect.dieMessage("this test sends nothing"),
        readableAmong: (fds, millis) =>
          Effect.suspend(() => {
            record.polls.push({ fds: [...fds], millis })
            return Effect.as(Effect.sleep(millis), [])
          })
      }))
    )

  /** `count` handles on this test's own process. */
  const openSelf = (count: number) =>
    Effect.flatMap(Processes, (processes) =>
      Effect.forEach(Array.from({ length: count }), () =>
        Effect.flatMap(processes.open(self), (handle) =>
          handle._tag === "Open" ? Effect.succeed(handle) : Effect.dieMessage("this process is running"))))

  /** What `fiber` returned once the clock moved `millis` on, or "waiting". */
  const after = <A, E>(millis: number, fiber: Fiber.RuntimeFiber<A, E>) =>
    Effect.zipRight(
      TestClock.adjust(millis),
      Effect.map(Fiber.poll(fiber), Option.match({ onNone: () => "waiting" as const, onSome: (exit) => Exit.isSuccess(exit) ? exit.value : exit }))
    )

  /** This process's real stat, and a record of polls and pidfds whose stat reads `current`. */
  const recording = () => {
    const real = readFileSync(`/proc/${self}/stat`, "latin1")
    const record = { polls: [] as Array<Poll>, opened: [] as Array<number>, current: real, stat: () => record.current }
    return { real, record }
  }

  it.scoped("returns none at once when given no handles", () => {
    const { record } = recording()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork((yield* Processes).exitedAmong([], Duration.seconds(10)))
      expect(yield* after(0, fiber)).toEqual([])
      expect(record.polls).toEqual([])
    }).pipe(Effect.provide(sweeping({ pidfdBudget: 2, pollInterval: 5 }, record)))
  })

  it.scoped("with every handle holding a pidfd, polls them once for the whole wait and returns none at the deadline", () => {
    const { record } = recording()
    return Effect.gen(function*() {
      const handles = yield* openSelf(2)
      const fiber = yield* Effect.fork((yield* Processes).exitedAmong(handles, Duration.seconds(10)))
      expect(yield* after(9_999, fiber)).toBe("waiting")
      expect(record.polls).toEqual([{ fds: record.opened, millis: 10_000 }])
      expect(yield* after(1, fiber)).toEqual([])
    }).pipe(Effect.provide(sweeping({ pidfdBudget: 2, pollInterval: 5 }, record)))
  })

  it.scoped.each([[2, 100, 200], [3, 400, 1_000]])(
    "%d identity-pinned handles at a poll interval of %d ms are checked every %d ms (at most a second apart), and only their change ends the wait",
    ([count, pollInterval, sweepEvery]) => {
      const { real, record } = recording()
      return Effect.gen(function*() {
        const [held, ...pinnedByIdentity] = yield* openSelf(1 + count)
        expect(pinnedByIdentity.map((handle) => handle.pinnedBy)).toEqual(Array(count).fill("Identity"))
        const fiber = yield* Effect.fork((yield* Processes).exitedAmong([held!, ...pinnedByIdentity], Duration.seconds(10)))
        expect(yield* after(sweepEvery, fiber)).toBe("waiting")
        // Only the held pidfd is polled, a slice at a time.
        expect(record.polls).toEqual([{ fds: [record.opened[0]], millis: sweepEvery }, { fds: [record.opened[0]], millis: sweepEvery }])
        record.current = anotherStartTime(real)
        expect(yield* after(sweepEvery - 1, fiber)).toBe("waiting")
        expect(yield* after(1, fiber)).toEqual(pinnedByIdentity)
      }).pipe(Effect.provide(sweeping({ pidfdBudget: 1, pollInterval }, record)))
    }
  )

  it.scoped("with no handle holding a pidfd, sleeps between checks and never polls", () => {
    const { real, record } = recording()
    return Effect.gen(function*() {
      const handles = yield* openSelf(2)
      const fiber = yield* Effect.fork((yield* Processes).exitedAmong(handles, Duration.seconds(10)))
      expect(yield* after(200, fiber)).toBe("waiting")
      record.current = anotherStartTime(real)
      expect(yield* after(199, fiber)).toBe("waiting")
      expect(yield* after(1, fiber)).toEqual(handles)
      expect(record.polls).toEqual([])
    }).pipe(Effect.provide(sweeping({ pidfdBudget: 0, pollInterval: 100 }, record)))
  })
})
