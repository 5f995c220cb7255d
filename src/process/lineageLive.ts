/**
 * What tree discovery reads from /proc: a process's stat line, its
 * children, every PID, the newest PID, the count of processes created, the
 * time since boot, a process's autogroup.
 *
 * These reads use node:fs synchronously, not @effect/platform's FileSystem:
 * discovery reads a few hundred small /proc files per round, and each costs
 * ~14 µs of CPU read directly against ~460 µs through the asynchronous
 * FileSystem (a libuv pool round trip per open, read and close; measured on
 * this project's 2-core machine). /proc reads never block on a disk.
 */
import { Duration, Effect, Either, Option } from "effect"
import { closeSync, existsSync, openSync, readdirSync, readSync } from "node:fs"
import { OsError, OsSubject } from "../os/OsError.js"
import { osError } from "../os/errno.js"
import { parsePid, type Pid, printable } from "./Pid.js"
import type { ProcessLineage } from "./Processes.js"

/** PF_KTHREAD in /proc/PID/stat's flags (field 9). */
const kernelThreadFlag = 0x00200000

/**
 * Parses a /proc/PID/stat line. The command name sits between the first "("
 * and the LAST ")": it may itself hold spaces and ") Z 1 (".
 */
export const parseLineage = (
  stat: string
): (Omit<ProcessLineage, "identity"> & { readonly pid: number; readonly startTicks: number }) | undefined => {
  const open = stat.indexOf("(")
  const close = stat.lastIndexOf(")")
  // Equivalent mutants, not disabled (>= on either side is killable): open < 0 → <= 0 reads a line starting with "(" as
  // no line instead of PID 0, and callers refuse both (a PID asked about is at least 2; the kernel's lines start with
  // the PID); close < open → <= differs only when both are -1, which open < 0 already refuses.
  if (open < 0 || close < open) return undefined
  const fields = stat.slice(close + 2).split(" ")
  // fields[0] is field 3 (state); field N is fields[N - 3].
  const [state, parent, processGroup, session, flags, threads, startTicks] = [0, 1, 2, 3, 6, 17, 19].map((index) => fields[index])
  // Number() ignores the blanks around the PID.
  const numbers = [stat.slice(0, open), parent, processGroup, session, flags, startTicks, threads].map(Number)
  if (!state || !numbers.every((value) => Number.isSafeInteger(value) && value >= 0)) return undefined
  return {
    pid: numbers[0]!,
    // A process may write anything to its own comm: keep a newline from forging a log or status line.
    command: printable(stat.slice(open + 1, close)),
    state,
    parent: numbers[1]!,
    processGroup: numbers[2]!,
    session: numbers[3]!,
    // Flags may use all 32 bits: test the bit without 32-bit signed arithmetic.
    kernelThread: Math.floor(numbers[4]! / kernelThreadFlag) % 2 === 1,
    startTicks: numbers[5]!,
    threads: numbers[6]!
  }
}

const buffer = Buffer.alloc(4096)

/** The whole text of a /proc file (its size shows only as it is read: stat says 0). */
const readWhole = (path: string): string => {
  const fd = openSync(path, "r")
  try {
    // A children file can outgrow one buffer (a master with a thousand workers).
    let text = ""
    for (let read = readSync(fd, buffer, 0, buffer.length, 0); read > 0; read = readSync(fd, buffer, 0, buffer.length, text.length)) {
      text += buffer.toString("latin1", 0, read)
    }
    return text
  } finally {
    closeSync(fd)
  }
}

/** What `read` returns, or none when the process it reads about is gone (before the open or after it). */
const unlessGone = <A>(read: () => A): Option.Option<A> => {
  try {
    return Option.some(read())
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === "ENOENT" || code === "ESRCH") return Option.none()
    throw error
  }
}

/** Reads a /proc file about a process: its text, or none when the process is gone. Tests may pass their own. */
export type ProcFileReader = (path: string) => Option.Option<string>

export const readProcFile: ProcFileReader = (path) => unlessGone(() => readWhole(path))

// Stryker disable next-line ArrayDeclaration: for a directory gone meanwhile, a made-up entry is no PID, and no thread of that name has a children file
const listDirectory = (path: string): ReadonlyArray<string> => Option.getOrElse(unlessGone(() => readdirSync(path)), () => [])

const tryRead = <A>(operation: string, path: string, read: () => A): Either.Either<A, OsError> =>
  Either.try({ try: read, catch: (error) => osError(operation, path, error) })

/** A synchronous /proc read as an Effect; a failure other than "gone" is an `OsError` naming the path. */
export const procRead = <A>(operation: string, path: string, read: () => A) => Effect.suspend(() => tryRead(operation, path, read))

/** PIDs the kernel listed, through the same strict parser as any PID (init and junk dropped). */
const pidsIn = (texts: ReadonlyArray<string>, pidMax: number): ReadonlyArray<Pid> =>
  texts.flatMap((text) => Option.toArray(Either.getRight(parsePid(text, pidMax))))

/** A count the kernel keeps, as a file under /proc shows it: a negative, fractional or unreadable one is refused. */
const parseCount = (path: string, text: string | undefined): number => {
  const count = Number(text)
  if (!Number.isSafeInteger(count) || count < 0) throw new OsError({ operation: "parse", subject: OsSubject.File({ path }), code: "EINVAL" })
  return count
}

export interface ProcSource {
  /** Where procfs is mounted ("/proc"; a test gives a directory of its own). */
  readonly root?: string
  /** Whether the kernel lists each thread's children (CONFIG_PROC_CHILDREN); found out when not given. */
  readonly childrenFiles?: boolean
  /** How a process's files are read; default `readProcFile`. */
  readonly readFile?: ProcFileReader
}

const hasChildrenFiles = (root: string) => existsSync(`${root}/self/task/${process.pid}/children`)

export const makeLineageReaders = (
  bootId: string,
  pidMax: Effect.Effect<number>,
  { childrenFiles, readFile = readProcFile, root = "/proc" }: ProcSource = {}
) => {
  const hasChildren = childrenFiles ?? hasChildrenFiles(root)

  const lineage = (pid: Pid): Effect.Effect<Option.Option<ProcessLineage>, OsError> => {
    const path = `${root}/${pid}/stat`
    return Effect.flatMap(procRead("read", path, () => readFile(path)), (text) => {
      if (Option.isNone(text)) return Effect.succeedNone
      const parsed = parseLineage(text.value)
      if (parsed === undefined || parsed.pid !== pid) return Effect.fail(new OsError({ operation: "parse", subject: OsSubject.File({ path }), code: "EINVAL" }))
      const { pid: _, startTicks, ...rest } = parsed
      return Effect.succeedSome({ identity: { pid, startTicks, bootId }, ...rest })
    })
  }

  const allPids = Effect.flatMap(pidMax, (max) => procRead("list", root, () => pidsIn(listDirectory(root), max)))

  // CONFIG_PROC_CHILDREN lists each thread's children; without it, a scan of
  // every process's parent finds the same (Linux before 3.5 or a kernel built without it).
  const children = (pid: Pid): Effect.Effect<ReadonlyArray<Pid>, OsError> => {
    const task = `${root}/${pid}/task`
    return hasChildren
      ? Effect.flatMap(pidMax, (max) =>
        procRead("read", task, () =>
          pidsIn(
            listDirectory(task).flatMap((tid) => Option.toArray(readFile(`${task}/${tid}/children`))).flatMap((text) => text.split(" ")),
            max
          )))
      : Effect.flatMap(allPids, (pids) =>
        Effect.filter(pids, (candidate) =>
          Effect.map(lineage(candidate), Option.exists((found) => found.parent === pid))))
  }

  // "0.00 0.01 0.05 1/123 4567\n": the last field is the newest PID. Files
  // about the whole system are never gone: a missing one is an error.
  const loadavg = `${root}/loadavg`
  const readNewestPid = () => parseCount(loadavg, readWhole(loadavg).split(" ").pop())
  const newestPid = procRead("read", loadavg, readNewestPid)

  /**
   * Checks on a bare timer, waking the fiber only when the newest PID moved:
   * a wake-up through Effect's schedule and fiber machinery costs about
   * 1.2 ms of CPU here against 0.5 ms for a timer (measured on this
   * project's 2-core machine), and `kill --tree` checks 80 times while it
   * waits out a 20 s grace.
   */
  const newestPidAfter = (seen: number, every: Duration.Duration): Effect.Effect<number, OsError> =>
    Effect.flatMap(newestPid, (newest) =>
      newest !== seen ? Effect.succeed(newest) : Effect.async<number, OsError>((resume) => {
        const timer = setInterval(() => {
          const checked = tryRead("read", loadavg, readNewestPid)
          if (Either.isRight(checked) && checked.right === seen) return
          clearInterval(timer)
          resume(checked)
        }, Duration.toMillis(every))
        return Effect.sync(() => clearInterval(timer))
      }))

  const systemStat = `${root}/stat`
  const forkCount = procRead("read", systemStat, () => {
    const line = readWhole(systemStat).split("\n").find((text) => text.startsWith("processes "))
    return parseCount(systemStat, line?.slice("processes ".length))
  })

  // "350735.47 234388.90\n": seconds since boot with two decimals, on the
  // clock start times count on (boot time, which a time namespace offsets
  // alike). Start times are in USER_HZ ticks, 100 a second on every
  // architecture Node runs on: the hundredths are the ticks.
  const uptime = `${root}/uptime`
  const startTicksNow = procRead("read", uptime, () => {
    const [seconds, hundredths] = /^([0-9]+)\.([0-9]{2}) /.exec(readWhole(uptime))?.slice(1) ?? []
    return parseCount(uptime, seconds) * 100 + parseCount(uptime, hundredths)
  })

  // "/autogroup-123 nice 0\n"; empty for the root group. The kernel prints
  // the number signed, so it shows negative once 2^31 groups were made.
  const autogroup = (pid: Pid): Effect.Effect<Option.Option<number>, OsError> => {
    const path = `${root}/${pid}/autogroup`
    return Effect.flatMap(procRead("read", path, () => readFile(path)), (text) => {
      if (Option.isNone(text) || text.value === "") return Effect.succeedNone
      const number = /^\/autogroup-(-?[0-9]+) nice -?[0-9]+\n$/.exec(text.value)?.[1]
      return number === undefined ? Effect.fail(new OsError({ operation: "parse", subject: OsSubject.File({ path }), code: "EINVAL" })) : Effect.succeedSome(Number(number))
    })
  }

  return { lineage, children, allPids, newestPid, newestPidAfter, forkCount, startTicksNow, autogroup }
}
