/**
 * The real process table: /proc for identity and state, pidfds for
 * signalling and for noticing exit without polling.
 *
 * Where the kernel has no pidfds (before Linux 5.3) it falls back to kill(2)
 * with an identity re-check before each signal, and to checking /proc every
 * `pollInterval`.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Clock, Duration, Effect, Layer, Option, Schedule, type Scope } from "effect"
import { closeSync } from "node:fs"
import { constants } from "node:os"
import { ProcessHidden, SystemError, systemError } from "../errors.js"
import { Libc } from "../native/Libc.js"
import { makeLineageReaders, parseLineage } from "./lineageLive.js"
import { isSignalablePid, type Pid, pidMaxCeiling } from "./Pid.js"
import {
  type Gone,
  hasExited,
  type ProcessHandle,
  isSameProcess,
  isThread,
  type ProcessIdentity,
  Processes,
  type ProcessesService,
  ProcessState,
  type ProcessUids
} from "./Processes.js"

export interface LiveOptions {
  /** How often the no-pidfd fallback checks /proc for the process. */
  readonly pollInterval?: Duration.DurationInput
}

/** The lines of /proc/PID/status sipid needs: `Tgid:`, `Threads:` and `Uid:` (real, effective, saved, filesystem). */
export const parseStatus = (
  status: string
): { readonly threadGroup: number; readonly threads: number; readonly uids: ProcessUids } | undefined => {
  const field = (name: string) =>
    status.split("\n").find((line) => line.startsWith(`${name}:`))?.slice(name.length + 1).trim().split(/\s+/).map(Number) ?? []
  const [threadGroup] = field("Tgid")
  const [threads] = field("Threads")
  const [real, effective, saved] = field("Uid")
  const numbers = [threadGroup, threads, real, effective, saved]
  return numbers.every((value) => Number.isSafeInteger(value) && value! >= 0)
    ? { threadGroup: threadGroup!, threads: threads!, uids: { real: real!, effective: effective!, saved: saved! } }
    : undefined
}

/** A failure about process `pid`: libc's errno, or the `SystemError` of a native binary that would not load. */
const processError = (operation: string, pid: number) => (error: unknown) => systemError(operation, `process ${pid}`, error)

/** Every path to a system call starts here: an unvalidated PID is a bug in the caller, never a signal. */
const guard = (pid: Pid) =>
  isSignalablePid(pid) ? Effect.void : Effect.dieMessage(`refusing to act on PID ${pid}: not a validated PID (parsePid)`)

export const make = (options: LiveOptions = {}) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const libc = yield* Libc
    const pollInterval = options.pollInterval ?? Duration.millis(5)

    // A process that exits between open and read answers ESRCH: it is gone too.
    const readProc = (path: string) =>
      fs.readFileString(path).pipe(
        Effect.map(Option.some),
        Effect.mapError((error) => systemError("read", path, error)),
        Effect.catchIf((error) => error.code === "ENOENT" || error.code === "ESRCH", () => Effect.succeed(Option.none<string>()))
      )

    const bootId = yield* readProc("/proc/sys/kernel/random/boot_id").pipe(
      Effect.map(Option.match({ onNone: () => "unknown", onSome: (text) => text.trim() })),
      Effect.orElseSucceed(() => "unknown")
    )

    // Read on first use, then remembered: a command asks several times.
    const pidMax = yield* Effect.cached(
      readProc("/proc/sys/kernel/pid_max").pipe(
        Effect.map((text) => Number(Option.getOrElse(text, () => "").trim())),
        Effect.map((value) => (Number.isSafeInteger(value) && value > 1 ? value : pidMaxCeiling)),
        Effect.orElseSucceed(() => pidMaxCeiling)
      )
    )

    /**
     * No /proc entry normally means no process. But /proc mounted with
     * hidepid=2 hides other users' processes, and a live process must never
     * be taken for a gone one (claim would overwrite its pidfile): signal 0
     * checks existence without sending anything; EPERM means it exists.
     */
    const confirmGone = (pid: Pid) =>
      Effect.try({ try: () => process.kill(pid, 0), catch: (error) => (error as NodeJS.ErrnoException).code }).pipe(
        Effect.matchEffect({
          onFailure: (code) => (code === "ESRCH" ? Effect.succeed(ProcessState.Gone()) : new ProcessHidden({ pid })),
          onSuccess: () => new ProcessHidden({ pid })
        })
      )

    const unparsable = (path: string) => new SystemError({ operation: "parse", path, code: "EINVAL" })

    // Consistent only while the process is pinned (see open): a PID freed and
    // reused between the two reads would pair two processes' facts.
    const inspect = (pid: Pid): Effect.Effect<ProcessState, SystemError | ProcessHidden> =>
      Effect.gen(function*() {
        yield* guard(pid)
        const stat = yield* readProc(`/proc/${pid}/stat`)
        if (Option.isNone(stat)) return yield* confirmGone(pid)
        const parsed = parseLineage(stat.value)
        if (parsed === undefined) return yield* unparsable(`/proc/${pid}/stat`)
        if (parsed.state === "X") return ProcessState.Zombie()
        const status = yield* readProc(`/proc/${pid}/status`)
        if (Option.isNone(status)) return ProcessState.Gone()
        const task = parseStatus(status.value)
        if (task === undefined) return yield* unparsable(`/proc/${pid}/status`)
        if (hasExited({ state: parsed.state, threads: task.threads })) return ProcessState.Zombie()
        return ProcessState.Alive({
          identity: { pid, startTicks: parsed.startTicks, bootId },
          uids: task.uids,
          threadGroup: task.threadGroup as Pid
        })
      })

    const stillRunning = (identity: ProcessIdentity) =>
      Effect.map(inspect(identity.pid), (state) => state._tag === "Alive" && isSameProcess(state.identity, identity))

    const openPidfd = (pid: Pid) =>
      libc.pidfdOpen(pid).pipe(
        Effect.map((fd): number | "Gone" | null => fd),
        Effect.catchTag("Errno", (error) =>
          // ENOENT: `pid` is a thread, not a process (Linux 6.9+; older
          // kernels say EINVAL, and open's inspection then finds the thread).
          error.code === "ESRCH" || error.code === "ENOENT"
            ? Effect.succeed("Gone" as const)
            : error.code === "ENOSYS" || error.code === "EINVAL"
            ? Effect.succeed(null)
            : Effect.fail(processError("pidfd_open", pid)(error)))
      )

    const open = (pid: Pid): Effect.Effect<ProcessHandle | Gone, SystemError | ProcessHidden, Scope.Scope> =>
      Effect.gen(function*() {
        yield* guard(pid)
        const pidfd = yield* Effect.acquireRelease(openPidfd(pid), (fd) =>
          typeof fd === "number" ? Effect.sync(() => closeSync(fd)) : Effect.void)
        if (pidfd === "Gone") return ProcessState.Gone()
        const state = yield* inspect(pid)
        if (state._tag !== "Alive" || isThread(state)) return ProcessState.Gone()
        // The pidfd pins the process it was opened on. If that process exited
        // before the inspection, /proc may describe a newcomer on the same PID:
        // an already readable pidfd says so.
        if (pidfd !== null && (yield* libc.waitReadable(pidfd, 0).pipe(Effect.mapError(processError("poll", pid))))) {
          return ProcessState.Gone()
        }
        const { identity, uids } = state
        return pidfd === null ? fallbackHandle(identity, uids) : pidfdHandle(pidfd, identity, uids)
      })

    /** The pidfd behind each handle this layer opened, for waiting on many at once (exitedAmong). */
    const pidfdOf = new WeakMap<ProcessHandle, number>()

    const pidfdHandle = (pidfd: number, identity: ProcessIdentity, uids: ProcessUids): ProcessHandle => {
      const handle = pidfdHandleOf(pidfd, identity, uids)
      pidfdOf.set(handle, pidfd)
      return handle
    }

    const pidfdHandleOf = (pidfd: number, identity: ProcessIdentity, uids: ProcessUids): ProcessHandle => ({
      _tag: "Open",
      identity,
      uids,
      signal: (name) =>
        libc.pidfdSendSignal(pidfd, constants.signals[name]).pipe(
          Effect.as("Sent" as const),
          Effect.catchTag("Errno", (error) =>
            error.code === "ESRCH" ? Effect.succeed("Gone" as const) : Effect.fail(processError(`send ${name}`, identity.pid)(error)))
        ),
      // One poll for the whole wait: interrupting it wakes the poll (see
      // Libc.readableAmong), so no slices are needed to free its pool thread,
      // and waiting out a 20 s grace costs no CPU.
      awaitExit: libc.waitReadable(pidfd, Infinity).pipe(
        Effect.mapError(processError("poll", identity.pid)),
        Effect.repeat({ until: (exited) => exited }),
        Effect.asVoid
      )
    })

    /** Without pidfds: kill(2) after checking the PID still names the opened process, and /proc polled for the exit. */
    const fallbackHandle = (identity: ProcessIdentity, uids: ProcessUids): ProcessHandle => ({
      _tag: "Open",
      identity,
      uids,
      signal: (name) =>
        Effect.flatMap(stillRunning(identity), (same) =>
          same
            ? Effect.try({
              try: () => (process.kill(identity.pid, constants.signals[name]), "Sent" as const),
              catch: processError(`send ${name}`, identity.pid)
            }).pipe(Effect.catchIf((error) => error.code === "ESRCH", () => Effect.succeed("Gone" as const)))
            : Effect.succeed("Gone" as const)),
      awaitExit: stillRunning(identity).pipe(
        Effect.repeat({ until: (same) => !same, schedule: Schedule.spaced(pollInterval) }),
        Effect.asVoid
      )
    })

    const exitedAmong = (handles: ReadonlyArray<ProcessHandle>, timeout: Duration.Duration) =>
      Effect.gen(function*() {
        if (handles.length === 0) return []
        const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(timeout)
        const byFd = new Map(handles.flatMap((handle) => {
          const pidfd = pidfdOf.get(handle)
          return pidfd === undefined ? [] : [[pidfd, handle] as const]
        }))
        const unpinned = handles.filter((handle) => !pidfdOf.has(handle))
        while (true) {
          const remaining = Math.max(0, deadline - (yield* Clock.currentTimeMillis))
          // One poll for the whole wait (interrupting it wakes it); without pidfds, /proc is checked every pollInterval.
          const slice = unpinned.length > 0 ? Math.min(remaining, Duration.toMillis(pollInterval)) : remaining
          const readable = byFd.size === 0 ? [] : yield* libc.readableAmong([...byFd.keys()], unpinned.length > 0 ? 0 : slice).pipe(
            Effect.mapError(processError("poll", handles[0]!.identity.pid))
          )
          const changed = yield* Effect.filter(unpinned, (handle) => Effect.map(stillRunning(handle.identity), (same) => !same))
          const exited = [...readable.map((fd) => byFd.get(fd)!), ...changed]
          if (exited.length > 0 || remaining === 0) return exited
          if (unpinned.length > 0) yield* Effect.sleep(slice)
        }
      })

    return Processes.of({ bootId, pidMax, inspect, open, exitedAmong, ...makeLineageReaders(bootId, pidMax) } satisfies ProcessesService)
  })

/** The live process table; needs a FileSystem and libc. */
export const layer = (options: LiveOptions = {}): Layer.Layer<Processes, never, FileSystem.FileSystem | Libc> =>
  Layer.effect(Processes, make(options))
