/**
 * The real process table: /proc for identity and state, pidfds for
 * signalling and for noticing exit without polling.
 *
 * A handle holds its pidfd while its scope is open, up to a budget that
 * keeps the open-file limit out of reach (a job may have more processes than
 * sipid may open files). Past the budget, and where the kernel has no pidfds
 * (before Linux 5.3), a handle is pinned by its identity alone: each signal
 * opens a pidfd (or, without pidfds, uses kill(2)) only after checking the
 * PID still names the process, and its exit is read from /proc.
 */
import { Clock, Duration, Effect, Layer, Option, Schedule, type Scope } from "effect"
import { closeSync } from "node:fs"
import { constants } from "node:os"
import { openDescriptors } from "../os/descriptors.js"
import { OsError, OsSubject } from "../os/OsError.js"
import { osError } from "../os/errno.js"
import { ProcessHidden } from "./errors.js"
import { Libc } from "../native/Libc.js"
import { makeLineageReaders, parseLineage, type ProcFileReader, procRead, readProcFile } from "./lineageLive.js"
import { guardPid, type Pid, pidMaxCeiling } from "./Pid.js"
import {
  type Alive,
  type Gone,
  hasExited,
  type ProcessHandle,
  isSameProcess,
  isThread,
  type ProcessIdentity,
  Processes,
  type ProcessesService,
  ProcessState,
  type ProcessUids,
  type SignalName
} from "./Processes.js"

export interface LiveOptions {
  /**
   * How often /proc is read for a process whose handle holds no pidfd, per
   * such process: n of them are checked every n times this, at least once a
   * second (a thousand cost ~15 ms of CPU a second). Default 5 ms.
   */
  readonly pollInterval?: Duration.DurationInput
  /**
   * How many pidfds handles may hold at once; default: the soft open-file
   * limit less the descriptors open when the layer is built, less `fileReserve`.
   */
  readonly pidfdBudget?: number
  /** How many descriptors are open when the layer is built; default: counted in /proc/self/fd. Tests fix it. */
  readonly descriptorsAtStart?: number
  /** Reads a /proc file; tests replace it to show what the kernel might say. */
  readonly readProcFile?: ProcFileReader
}

/** Descriptors kept free beside held pidfds: the pidfile and its lock, /proc reads, a pidfd opened to signal, what the runtime opens later. */
export const fileReserve = 64

/**
 * The descriptors this process holds now: its runtime's, and any a caller
 * left open without close-on-exec (a job's start script may pass on dozens),
 * which count against the same limit. The listing's own descriptor is not one.
 */
const countOpenDescriptors = (): number => {
  try {
    return openDescriptors().length - 1
  } catch {
    // No /proc/self/fd to count (procfs not mounted): the limit alone sets the budget.
    return 0
  }
}

/** The longest a process without a held pidfd goes unchecked while exitedAmong waits. */
const longestSweep = 1000

/** The soft RLIMIT_NOFILE from /proc/self/limits (Node raises it to the hard limit at start-up); undefined if unreadable. */
export const softOpenFileLimit = (limits: string): number | undefined => {
  // Equivalent mutant, not disabled (/\S+/ here is killable): /\s+/ → /\s/; only the first field is read, and after trim()
  // it ends at the first blank either way.
  const fields = limits.split("\n").find((line) => line.startsWith("Max open files"))?.slice("Max open files".length).trim().split(/\s+/)
  const soft = fields?.[0] === "unlimited" ? Infinity : Number(fields?.[0])
  return Number.isNaN(soft) || soft < 0 ? undefined : soft
}

/** The lines of /proc/PID/status sipid needs: `Tgid:`, `Threads:` and `Uid:` (real, effective, saved, filesystem). */
export const parseStatus = (
  status: string
): { readonly threadGroup: number; readonly threads: number; readonly uids: ProcessUids } | undefined => {
  const field = (name: string) =>
    // Stryker disable next-line ArrayDeclaration: a missing line's fallback fails Number.isSafeInteger, empty or not
    status.split("\n").find((line) => line.startsWith(`${name}:`))?.slice(name.length + 1).trim().split(/\s+/).map(Number) ?? []
  const [threadGroup] = field("Tgid")
  const [threads] = field("Threads")
  const [real, effective, saved] = field("Uid")
  const numbers = [threadGroup, threads, real, effective, saved]
  return numbers.every((value) => Number.isSafeInteger(value) && value! >= 0)
    ? { threadGroup: threadGroup!, threads: threads!, uids: { real: real!, effective: effective!, saved: saved! } }
    : undefined
}

/** A failure about process `pid`: libc's errno, or the `OsError` of a native binary that would not load. */
const processError = (operation: string, pid: Pid) => (error: unknown) => osError(operation, OsSubject.Process({ pid }), error)

export const make = (options: LiveOptions = {}) =>
  Effect.gen(function*() {
    const libc = yield* Libc
    const pollInterval = Duration.toMillis(Duration.decode(options.pollInterval ?? Duration.millis(5)))
    const readFile = options.readProcFile ?? readProcFile

    // A process that exits between open and read answers ESRCH: it is gone too (none).
    const readProc = (path: string) => procRead("read", path, () => readFile(path))

    const bootId = yield* readProc("/proc/sys/kernel/random/boot_id").pipe(
      Effect.map(Option.match({ onNone: () => "unknown", onSome: (text) => text.trim() })),
      Effect.orElseSucceed(() => "unknown")
    )

    // Read on first use, then remembered: a command asks several times.
    const pidMax = yield* Effect.cached(
      readProc("/proc/sys/kernel/pid_max").pipe(
        // Stryker disable next-line MethodExpression,StringLiteral: Number() ignores the blanks trim() removes, and reads "" as 0 and other text as NaN, both refused by > 1
        Effect.map((text) => Number(Option.getOrElse(text, () => "").trim())),
        Effect.map((value) => (Number.isSafeInteger(value) && value > 1 ? value : pidMaxCeiling)),
        Effect.orElseSucceed(() => pidMaxCeiling)
      )
    )

    /** kill(pid, 0): whether the kernel finds the PID's process; EPERM finds it too. */
    const exists = (pid: Pid) =>
      Effect.try({ try: () => process.kill(pid, 0), catch: (error) => (error as NodeJS.ErrnoException).code }).pipe(
        Effect.match({ onFailure: (code) => code !== "ESRCH", onSuccess: () => true })
      )

    /**
     * No /proc entry normally means no process. But /proc mounted with
     * hidepid=2 hides other users' processes, and a live process must never
     * be taken for a gone one (claim would overwrite its pidfile): signal 0
     * checks existence without sending anything. It is asked twice, a
     * millisecond apart: as a process is reaped, the kernel unhashes its PID
     * (which /proc looks up) a moment before its thread group (which kill(2)
     * looks up since Linux 6.9), and a reap of hundreds at once falls in
     * that moment now and then. A hidden process stays hidden.
     */
    const confirmGone = (pid: Pid) =>
      Effect.flatMap(
        Effect.flatMap(exists(pid), (found) => found ? Effect.zipRight(Effect.sleep(Duration.millis(1)), exists(pid)) : Effect.succeed(false)),
        (found) => found ? new ProcessHidden({ pid }) : Effect.succeed(ProcessState.Gone())
      )

    const unparsable = (path: string) => new OsError({ operation: "parse", subject: OsSubject.File({ path }), code: "EINVAL" })

    // Consistent only while the process is pinned (see open): a PID freed and
    // reused between the two reads would pair two processes' facts.
    const inspect = (pid: Pid): Effect.Effect<ProcessState, OsError | ProcessHidden> =>
      Effect.gen(function*() {
        yield* guardPid(pid)
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

    const readers = makeLineageReaders(bootId, pidMax, { readFile })

    /** One read of /proc/PID/stat: whether the PID still names this very process, and it has not exited. */
    const stillRunning = (identity: ProcessIdentity): Effect.Effect<boolean, OsError | ProcessHidden> =>
      Effect.flatMap(
        readers.lineage(identity.pid),
        Option.match({
          onNone: () => Effect.as(confirmGone(identity.pid), false),
          onSome: (now) => Effect.succeed(isSameProcess(now.identity, identity) && !hasExited(now))
        })
      )

    /** Whether sipid said it signals without pidfds: once per run is enough. */
    let withoutPidfdsLogged = false

    /**
     * A pidfd on `pid`, "Gone", or null when the kernel will not give one
     * for a reason that is not about the process: no pidfds (ENOSYS, EINVAL
     * before Linux 5.3), a seccomp filter (EPERM: pidfd_open itself checks
     * no permission), no memory or descriptors left (ENOMEM, EMFILE,
     * ENFILE). The handle is then pinned by the process's start time, and
     * signals go through kill(2) right after checking it.
     */
    const openPidfd = (pid: Pid) =>
      libc.pidfdOpen(pid).pipe(
        Effect.map((fd): number | "Gone" | null => fd),
        Effect.catchTag("Errno", (error) =>
          // ENOENT: `pid` is a thread, not a process (Linux 6.9+; older
          // kernels say EINVAL, and open's inspection then finds the thread).
          error.code === "ESRCH" || error.code === "ENOENT"
            ? Effect.succeed("Gone" as const)
            : Effect.as(
              Effect.unless(
                Effect.logWarning(
                  `pidfd_open refused (${error.code}): signalling through kill(2), each signal right after checking the process's start time`
                ).pipe(Effect.zipRight(Effect.sync(() => (withoutPidfdsLogged = true)))),
                () => withoutPidfdsLogged
              ),
              null
            ))
      )

    const openFileLimit = Option.getOrElse(Option.flatMap(readFile("/proc/self/limits"), (text) => Option.fromNullable(softOpenFileLimit(text))), () => 1024)
    const pidfdBudget = options.pidfdBudget ?? openFileLimit - (options.descriptorsAtStart ?? countOpenDescriptors()) - fileReserve
    /** Pidfds open now, held by handles or opened for a moment to signal. */
    let pidfdsOpen = 0

    /**
     * Opens a pidfd on `pid` (closed with the scope; null without pidfds),
     * then reads /proc: the live process it pins, or none if it has exited
     * or `pid` names a thread.
     */
    const pin = (pid: Pid) =>
      Effect.gen(function*() {
        const pidfd = yield* Effect.acquireRelease(
          Effect.tap(openPidfd(pid), (fd) => typeof fd === "number" && pidfdsOpen++),
          (fd) => typeof fd === "number" ? Effect.sync(() => (closeSync(fd), pidfdsOpen--)) : Effect.void
        )
        if (pidfd === "Gone") return undefined
        const state = yield* inspect(pid)
        if (state._tag !== "Alive" || isThread(state)) return undefined
        // The pidfd pins the process it was opened on. If that process exited
        // before the inspection, /proc may describe a newcomer on the same PID:
        // an already readable pidfd says so.
        if (pidfd !== null && (yield* exited(pidfd, pid))) return undefined
        return { pidfd, state }
      })

    const open = (pid: Pid): Effect.Effect<ProcessHandle | Gone, OsError | ProcessHidden, Scope.Scope> =>
      Effect.gen(function*() {
        yield* guardPid(pid)
        const holds = pidfdsOpen < pidfdBudget
        // Past the budget the pidfd serves the check only, and closes with it.
        const pinned = yield* (holds ? pin(pid) : Effect.scoped(pin(pid)))
        if (pinned === undefined) return ProcessState.Gone()
        const { pidfd, state } = pinned
        return pidfd !== null && holds ? pidfdHandle(pidfd, state) : identityHandle(state, pidfd !== null)
      })

    /** The pidfd behind each handle that holds one, for waiting on many at once (exitedAmong). */
    const pidfdOf = new WeakMap<ProcessHandle, number>()

    /** A pidfd turns readable when its process exits, zombie included. */
    const exited = (pidfd: number, pid: Pid) =>
      Effect.map(libc.readableNow([pidfd]).pipe(Effect.mapError(processError("poll", pid))), (readable) => readable.length > 0)

    // A zombie still takes a signal through its pidfd (to no effect): the contract calls it gone.
    const sendThrough = (pidfd: number, name: SignalName, pid: Pid) =>
      Effect.flatMap(exited(pidfd, pid), (gone) =>
        gone ? Effect.succeed("Gone" as const) : libc.pidfdSendSignal(pidfd, constants.signals[name]).pipe(
          Effect.as("Sent" as const),
          Effect.catchTag("Errno", (error) =>
            error.code === "ESRCH" ? Effect.succeed("Gone" as const) : Effect.fail(processError(`send ${name}`, pid)(error)))
        ))

    const pidfdHandle = (pidfd: number, { identity, uids }: Alive): ProcessHandle => {
      const handle: ProcessHandle = {
        _tag: "Open",
        identity,
        uids,
        pinnedBy: "Pidfd",
        signal: (name) => sendThrough(pidfd, name, identity.pid),
        // The kernel wakes the poll on exit; waiting out a 20 s grace costs a wake-up per slice (see Libc.sliceMillis).
        awaitExit: libc.waitReadable(pidfd, Infinity).pipe(
          Effect.mapError(processError("poll", identity.pid)),
          Effect.repeat({ until: (exited) => exited }),
          Effect.asVoid
        ),
        exited: exited(pidfd, identity.pid)
      }
      pidfdOf.set(handle, pidfd)
      return handle
    }

    /**
     * Pinned by identity alone. With pidfds, each signal opens one, checks
     * through it that the PID still names this process and that it has not
     * exited, sends through it and closes it. Without: kill(2) right after
     * the same check (a PID freed and reused within that instant is the one
     * risk left). Its exit is read from /proc.
     */
    const identityHandle = ({ identity, uids }: Alive, pidfds: boolean): ProcessHandle => ({
      _tag: "Open",
      identity,
      uids,
      pinnedBy: "Identity",
      signal: (name) =>
        pidfds
          ? Effect.scoped(Effect.flatMap(pin(identity.pid), (pinned) =>
            // Equivalent mutant, not disabled (the line's other ConditionalExpression mutants are killable): pinned.pidfd !== null
            // → true; pidfds worked when this handle was made, and the kernel does not start refusing them for the same process.
            pinned !== undefined && pinned.pidfd !== null && isSameProcess(pinned.state.identity, identity)
              ? sendThrough(pinned.pidfd, name, identity.pid)
              : Effect.succeed("Gone" as const)))
          : Effect.flatMap(stillRunning(identity), (same) =>
            same
              ? Effect.try({
                try: () => (process.kill(identity.pid, constants.signals[name]), "Sent" as const),
                catch: processError(`send ${name}`, identity.pid)
              }).pipe(Effect.catchIf((error) => error.code === "ESRCH", () => Effect.succeed("Gone" as const)))
              : Effect.succeed("Gone" as const)),
      awaitExit: stillRunning(identity).pipe(
        Effect.repeat({ until: (same) => !same, schedule: Schedule.spaced(Duration.millis(pollInterval)) }),
        Effect.asVoid
      ),
      exited: Effect.map(stillRunning(identity), (same) => !same)
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
        // Each costs a /proc read per check: more of them, checked less often.
        const sweepEvery = Math.min(longestSweep, pollInterval * unpinned.length)
        while (true) {
          const remaining = Math.max(0, deadline - (yield* Clock.currentTimeMillis))
          // One wait on every pidfd, or until the next check of the unpinned.
          const slice = unpinned.length > 0 ? Math.min(remaining, sweepEvery) : remaining
          const readable = byFd.size === 0
            ? yield* Effect.as(Effect.sleep(slice), [])
            : yield* libc.readableAmong([...byFd.keys()], slice).pipe(Effect.mapError(processError("poll", handles[0]!.identity.pid)))
          const changed = yield* Effect.filter(unpinned, (handle) => Effect.map(stillRunning(handle.identity), (same) => !same))
          const exited = [...readable.map((fd) => byFd.get(fd)!), ...changed]
          if (exited.length > 0 || (yield* Clock.currentTimeMillis) >= deadline) return exited
        }
      })

    return Processes.of({ bootId, pidMax, inspect, open, exitedAmong, ...readers } satisfies ProcessesService)
  })

/** The live process table; needs libc. */
export const layer = (options: LiveOptions = {}): Layer.Layer<Processes, never, Libc> =>
  Layer.effect(Processes, make(options))
