/**
 * `kill`: stop exactly the process a pidfile names, on a schedule, and
 * remove the pidfile once it is gone. Holds the pidfile's lock throughout,
 * so a claim during a stop fails fast and two stops never interleave.
 *
 * Nothing reaches a signal call unless the pidfile is trusted, parses to a
 * valid `Pid`, names a live process that is the one sipid recorded (when a
 * record exists), and was opened as a pidfd that pins that very process.
 */
import { Clock, Data, type Duration, Effect, Option, type Scope } from "effect"
import { formatGoDuration } from "../time/goDuration.js"
import type { OsError } from "../os/OsError.js"
import { PidfileInvalid, PidfileProblem } from "./errors.js"
import { JobSurvived, JobUnseen, type ProcessHidden, ProcessSurvived } from "../process/errors.js"
import { type Pid, PidfileContent, sipidAndParent } from "../process/Pid.js"
import { isSameProcess, type ProcessHandle, Processes } from "../process/Processes.js"
import { runStopSchedule, ScheduleOutcome } from "../process/runStopSchedule.js"
import { defaultSchedule, formatStopSchedule, type StopSchedule } from "../process/stopSchedule.js"
import { type JobStopOptions, stopJob } from "../process/stopJob.js"
import { jobOf } from "../process/tree.js"
import { readContent } from "./content.js"
import { type LockedPidfile, lock, type LockError } from "./lock.js"
import { findOccupant, type Stale } from "./occupant.js"
import type { PidfileFiles } from "./PidfileFiles.js"
import { removeIfStillNames } from "./release.js"
import { jobStopped, stopStaleJob } from "./staleJob.js"
import { checkFileTrust, checkOwnerTrust, ownerMaySignal, sipidUid } from "./trust.js"

/**
 * How to stop: the schedule, and who asks.
 * @since 0.1.0
 * @category options
 */
export interface StopOptions {
  /** Default: `defaultSchedule()`, TERM/20/KILL/5. */
  readonly schedule?: StopSchedule
  /** Who is asking; the ownership rule applies to root. Default: this process's uid. */
  readonly callerUid?: number
  /**
   * Processes a pidfile may never make sipid signal: itself and whoever
   * started it (a ctl script that `exec`s sipid, or its shell). Default:
   * this process and its parent.
   */
  readonly callerPids?: ReadonlyArray<Pid>
  /** Stop the whole job (`--tree`): the process's descendants and its session or group, as systemd's KillMode=mixed. */
  readonly tree?: JobStopOptions
}

/**
 * @since 0.1.0
 * @category options
 */
export interface KillRequest extends StopOptions {
  readonly path: string
}

/** What `stop` reports; `kill` removes the pidfile after either. */
type StoppedOrStale = {
  /** The pidfile named no live process of its own (exited, zombie, PID reused); nothing was signalled. */
  Stale: Stale
  /** The process exited `after` the schedule started. */
  Stopped: { readonly pid: Pid; readonly after: Duration.Duration }
}

/**
 * @since 0.1.0
 * @category outcomes
 */
export type KillOutcome = Data.TaggedEnum<{
  /** No pidfile: nothing to stop. */
  NoPidfile: {}
} & StoppedOrStale>

export const KillOutcome = Data.taggedEnum<KillOutcome>()

/**
 * `stop`'s outcome: `kill`'s without `NoPidfile`, with a `$match` of its own.
 * @since 0.2.0
 * @category outcomes
 */
export type StopOutcome = Data.TaggedEnum<StoppedOrStale>

export const StopOutcome = Data.taggedEnum<StopOutcome>()

const readPid = (locked: LockedPidfile) =>
  Effect.flatMap(
    readContent(locked.file),
    PidfileContent.$match({
      Empty: () => new PidfileInvalid({ path: locked.path, problem: PidfileProblem.Empty() }),
      Invalid: ({ reason }) => new PidfileInvalid({ path: locked.path, problem: PidfileProblem.BadContent({ detail: reason }) }),
      Valid: ({ pid }) => Effect.succeed(pid)
    })
  )

/** `removeIfStillNames` once the process is gone. */
const removeStopped = (locked: LockedPidfile, pid: Pid) =>
  removeIfStillNames(locked, pid).pipe(
    // The process is gone either way, which is what kill reports; a pidfile
    // left on a read-only or failing disk only names a dead PID now.
    Effect.catchAll((error) => Effect.logWarning(`process ${pid} is gone, but its pidfile could not be removed: ${error.message}`))
  )

/**
 * @since 0.1.0
 * @category errors
 */
export type StopError = PidfileInvalid | ProcessSurvived | JobSurvived | JobUnseen | ProcessHidden | OsError

/**
 * The part of `kill` after the lock: stops the process that the locked
 * pidfile names, if it is trusted and names a process of its own. Leaves
 * the pidfile in place, so a caller that still holds the lock can claim it
 * for a successor (`claimLocked`) before anyone else sees it gone; `kill`
 * removes it. `Stale` when the pidfile named no process of its own.
 * @since 0.1.0
 * @category programs
 */
export const stop: (
  locked: LockedPidfile,
  options?: StopOptions
) => Effect.Effect<StopOutcome, StopError, PidfileFiles | Processes> = Effect.fn("sipid/stop")(
  function*(locked: LockedPidfile, options: StopOptions = {}) {
    // The types allow only `lock(path)`'s lock; a cast must not get a lock
    // that created the pidfile here, or stop would signal the new process.
    if (locked._tag !== "Existing") {
      return yield* Effect.dieMessage(`Pidfile.stop: ${locked.path} was created by this lock; stop takes only a lock from lock(path)`)
    }
    // Stryker disable next-line ObjectLiteral: span attributes are trace data, which no unit test reads
    yield* Effect.annotateCurrentSpan({ pidfile: locked.path })
    yield* checkFileTrust(locked.path, locked.file)
    const pid = yield* readPid(locked)
    // Stryker disable next-line ObjectLiteral: span attributes are trace data, which no unit test reads
    yield* Effect.annotateCurrentSpan({ pid })
    return yield* stopProcess(locked, pid, options).pipe(Effect.scoped, Effect.annotateLogs({ pid }))
  }
)

const stopProcess = (
  locked: LockedPidfile,
  pid: Pid,
  { callerPids = sipidAndParent(), callerUid = sipidUid(), schedule = defaultSchedule(), tree }: StopOptions
) =>
  Effect.gen(function*() {
    const processes = yield* Processes
    const { path } = locked
    const stale = (reason: string) =>
      Effect.as(Effect.logWarning(`pidfile is stale: ${reason}; not signalling`), StopOutcome.Stale({ pid, reason }))

    const jobRules = {
      excluded: callerPids,
      // A member is signalled only if the pidfile's owner could signal it, as for the main process.
      mayStop: (member: ProcessHandle) => ownerMaySignal(locked.file.uid, member, callerUid)
    }

    const occupant = yield* findOccupant(path, locked.file.uid, pid)
    if (occupant._tag === "Stale") {
      const { reason } = occupant
      // With --tree, a stale pidfile's job may have outlived its main process: what is provably left of it is stopped.
      return yield* tree === undefined
        ? stale(reason)
        : Effect.as(stopStaleJob({ path, pidfileOwner: locked.file.uid, pid, reason }, jobRules, tree), StopOutcome.Stale({ pid, reason }))
    }
    // A pidfile from another tool, or a PID reused since, may name the stopper itself.
    if (callerPids.includes(pid)) {
      return yield* new PidfileInvalid({ path, problem: PidfileProblem.NamesSipid({ pid }) })
    }

    // The pidfd pins one process; it must be the one just judged (and, with a
    // record, the one claimed), or the PID changed hands in between.
    const handle = yield* processes.open(pid)
    if (handle._tag === "Gone") return yield* stale(`process ${pid} exited before it could be signalled`)
    if (!isSameProcess(handle.identity, occupant.process.identity)) {
      return yield* stale(`PID ${pid} changed hands while it was being opened`)
    }
    // Judged on the pinned process, whose uids cannot be a predecessor's.
    yield* checkOwnerTrust(path, locked.file, handle, callerUid)

    yield* Effect.logInfo(`stopping process ${pid}${tree ? " and its job" : ""} (schedule ${formatStopSchedule(schedule)})`)
    const stopping: Effect.Effect<Duration.Duration | "Gone", StopError, Processes | Scope.Scope> = tree === undefined
      ? Effect.flatMap(runStopSchedule(handle, schedule), ScheduleOutcome.$match({
        Exited: ({ after }) => Effect.succeed(after),
        Survived: ({ after, sentKill }) => new ProcessSurvived({ path, pid, waited: after, sentKill })
      }))
      : Effect.flatMap(
        jobOf(handle, jobRules),
        Option.match({
          onNone: () => Effect.succeed<Duration.Duration | "Gone">("Gone"),
          onSome: (job) => Effect.flatMap(stopJob(job, schedule, tree), (outcome) => jobStopped(path, pid, outcome))
        })
      )
    // monit's stop timeout (SIGTERM to sipid) lands here: say what is left
    // behind, as it is now (the interruption may follow the exit closely).
    const interrupted = Effect.flatMap(Effect.option(handle.exited), (exited) =>
      Effect.logWarning(Option.match(exited, {
        onNone: () => `interrupted while stopping process ${pid}, whose exit could not be checked; pidfile kept`,
        onSome: (gone) =>
          gone
            ? `interrupted after process ${pid} exited${tree ? ", while stopping the rest of its job" : ""}; pidfile kept`
            : `interrupted while stopping process ${pid}, which had not exited; pidfile kept`
      })))
    const after = yield* stopping.pipe(Effect.onInterrupt(() => interrupted))
    if (after === "Gone") return yield* stale(`process ${pid} exited before it could be signalled`)
    return StopOutcome.Stopped({ pid, after })
  })

/**
 * Stops the process a pidfile names, on a schedule, and removes the pidfile once it is gone.
 * @since 0.1.0
 * @category programs
 */
export const kill: (request: KillRequest) => Effect.Effect<KillOutcome, LockError | StopError, PidfileFiles | Processes> = Effect.fn(
  "sipid/kill"
)(
  function*({ path, ...options }: KillRequest) {
    // Stryker disable next-line ObjectLiteral: span attributes are trace data, which no unit test reads
    yield* Effect.annotateCurrentSpan({ pidfile: path })
    const started = yield* Clock.currentTimeMillis
    const locked = yield* lock(path)
    if (Option.isNone(locked)) {
      yield* Effect.logInfo("no pidfile; nothing to stop")
      return KillOutcome.NoPidfile()
    }
    const outcome = yield* stop(locked.value, options)
    yield* removeStopped(locked.value, outcome.pid).pipe(Effect.annotateLogs({ pid: outcome.pid }))
    if (outcome._tag === "Stopped") {
      const took = formatGoDuration((yield* Clock.currentTimeMillis) - started)
      yield* Effect.logInfo(`process ${outcome.pid}${options.tree ? " and its job" : ""} stopped after ${took}`).pipe(Effect.annotateLogs({ pid: outcome.pid }))
    }
    return outcome
  },
  (effect, { path }) => effect.pipe(Effect.scoped, Effect.annotateLogs({ pidfile: path }))
)
