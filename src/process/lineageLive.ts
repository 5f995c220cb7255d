/**
 * How the live process table reads /proc, and what tree discovery reads
 * there: a process's stat line, its children, every PID, the newest PID,
 * the count of processes created.
 *
 * These reads use node:fs synchronously, not @effect/platform's FileSystem:
 * discovery reads a few small /proc files per process of the job, and each
 * costs ~14 µs of CPU read directly against ~460 µs through the
 * asynchronous FileSystem (a libuv pool round trip per open, read and
 * close; measured on this project's 2-core machine, and 1.5 ms each with
 * the machine busy: pinning a 1000-process job took 3 s through it).
 * /proc reads never block on a disk.
 */
import { Duration, Effect, Either, Option } from "effect"
import { closeSync, existsSync, openSync, readdirSync, readSync } from "node:fs"
import { SystemError, systemError } from "../errors.js"
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
  if (open < 0 || close < open) return undefined
  const fields = stat.slice(close + 2).split(" ")
  // fields[0] is field 3 (state); field N is fields[N - 3].
  const [state, parent, processGroup, session, flags, threads, startTicks] = [0, 1, 2, 3, 6, 17, 19].map((index) => fields[index])
  const numbers = [stat.slice(0, open).trim(), parent, processGroup, session, flags, startTicks, threads].map(Number)
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

/** Reads a /proc file: its text, or none when the process it describes is gone. Tests pass their own. */
export type ProcFileReader = (path: string) => Option.Option<string>

/** The text of a /proc file, or none when the process it describes is gone. */
export const readProcFile: ProcFileReader = (path) => {
  let fd: number
  try {
    fd = openSync(path, "r")
  } catch (error) {
    if (isGone(error)) return Option.none()
    throw error
  }
  try {
    // A children file can outgrow one buffer (a master with a thousand workers).
    let text = ""
    for (let read = readSync(fd, buffer, 0, buffer.length, 0); read > 0; read = readSync(fd, buffer, 0, buffer.length, text.length)) {
      text += buffer.toString("latin1", 0, read)
    }
    return Option.some(text)
  } catch (error) {
    if (isGone(error)) return Option.none()
    throw error
  } finally {
    closeSync(fd)
  }
}

const isGone = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code
  return code === "ENOENT" || code === "ESRCH"
}

const listDirectory = (path: string): ReadonlyArray<string> => {
  try {
    return readdirSync(path)
  } catch (error) {
    if (isGone(error)) return []
    throw error
  }
}

const tryRead = <A>(operation: string, path: string, read: () => A): Either.Either<A, SystemError> =>
  Either.try({ try: read, catch: (error) => systemError(operation, path, error) })

/** A synchronous /proc read as an Effect; a failure other than "gone" is a `SystemError` naming the path. */
export const procRead = <A>(operation: string, path: string, read: () => A) => Effect.suspend(() => tryRead(operation, path, read))

/** PIDs the kernel listed, through the same strict parser as any PID (init and junk dropped). */
const pidsIn = (texts: ReadonlyArray<string>, pidMax: number): ReadonlyArray<Pid> =>
  texts.flatMap((text) => Option.toArray(Either.getRight(parsePid(text, pidMax))))

export const makeLineageReaders = (bootId: string, pidMax: Effect.Effect<number>, readFile: ProcFileReader = readProcFile) => {
  const lineage = (pid: Pid): Effect.Effect<Option.Option<ProcessLineage>, SystemError> =>
    Effect.flatMap(procRead("read", `/proc/${pid}/stat`, () => readFile(`/proc/${pid}/stat`)), (text) => {
      if (Option.isNone(text)) return Effect.succeedNone
      const parsed = parseLineage(text.value)
      if (parsed === undefined || parsed.pid !== pid) {
        return Effect.fail(new SystemError({ operation: "parse", path: `/proc/${pid}/stat`, code: "EINVAL" }))
      }
      const { pid: _, startTicks, ...rest } = parsed
      return Effect.succeedSome({ identity: { pid, startTicks, bootId }, ...rest })
    })

  const allPids = Effect.flatMap(pidMax, (max) => procRead("list", "/proc", () => pidsIn(listDirectory("/proc"), max)))

  // CONFIG_PROC_CHILDREN lists each thread's children; without it, a scan of
  // every process's parent finds the same (Linux before 3.5 or a kernel built without it).
  const hasChildrenFiles = existsSync(`/proc/self/task/${process.pid}/children`)

  const children = (pid: Pid): Effect.Effect<ReadonlyArray<Pid>, SystemError> =>
    hasChildrenFiles
      ? Effect.flatMap(pidMax, (max) =>
        procRead("read", `/proc/${pid}/task`, () =>
          pidsIn(
            listDirectory(`/proc/${pid}/task`).flatMap((tid) =>
              Option.getOrElse(readFile(`/proc/${pid}/task/${tid}/children`), () => "").split(" ").filter((text) => text.length > 0)
            ),
            max
          )))
      : Effect.flatMap(allPids, (pids) =>
        Effect.filter(pids, (candidate) =>
          Effect.map(lineage(candidate), Option.exists((found) => found.parent === pid))))

  // "0.00 0.01 0.05 1/123 4567": the last field is the newest PID.
  const readNewestPid = () => Number(Option.getOrElse(readFile("/proc/loadavg"), () => "").trim().split(" ").pop())
  const newestPid = procRead("read", "/proc/loadavg", readNewestPid)

  /**
   * Checks on a bare timer, waking the fiber only when the newest PID moved:
   * a wake-up through Effect's schedule and fiber machinery costs about
   * 1.2 ms of CPU here against 0.5 ms for a timer (measured on this
   * project's 2-core machine), and `kill --tree` checks 80 times while it
   * waits out a 20 s grace.
   */
  const newestPidAfter = (seen: number, every: Duration.Duration): Effect.Effect<number, SystemError> =>
    Effect.flatMap(newestPid, (newest) =>
      newest !== seen ? Effect.succeed(newest) : Effect.async<number, SystemError>((resume) => {
        const timer = setInterval(() => {
          const checked = tryRead("read", "/proc/loadavg", readNewestPid)
          if (Either.isRight(checked) && checked.right === seen) return
          clearInterval(timer)
          resume(checked)
        }, Duration.toMillis(every))
        return Effect.sync(() => clearInterval(timer))
      }))

  const forkCount = procRead("read", "/proc/stat", () => {
    const line = Option.getOrElse(readProcFile("/proc/stat"), () => "").split("\n").find((text) => text.startsWith("processes "))
    const count = Number(line?.slice("processes ".length))
    if (!Number.isSafeInteger(count) || count < 0) throw new SystemError({ operation: "parse", path: "/proc/stat", code: "EINVAL" })
    return count
  })

  return { lineage, children, allPids, newestPid, newestPidAfter, forkCount }
}
