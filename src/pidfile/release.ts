/**
 * Giving a claim up: the pidfile and its identity record go, but only while
 * they still name the process that claimed them. `kill` does it once the
 * process is gone; an app that claimed its own pidfile does it as it ends
 * (`claimScoped`, `release`), where `kill` would refuse its own PID.
 */
import { Data, Effect, Option, type Scope } from "effect"
import type { OsError } from "../os/OsError.js"
import type { PidfileInvalid } from "./errors.js"
import type { InvalidPid } from "../process/errors.js"
import { parsePid, type Pid } from "../process/Pid.js"
import { Processes } from "../process/Processes.js"
import type { JobStopOptions } from "../process/stopJob.js"
import { claim, type ClaimError, type ClaimOutcome } from "./claim.js"
import { readContent } from "./content.js"
import { identityRecordPath } from "./identityRecord.js"
import { lock, type LockedPidfile, type LockError } from "./lock.js"
import { PidfileFiles } from "./PidfileFiles.js"

/**
 * Removes the pidfile and its identity record, but only if the path still
 * names the locked file and that file still holds `pid`: a tool that does
 * not lock (start-stop-daemon, a hand edit) may have rewritten it meanwhile,
 * and a pidfile naming a new process must survive its predecessor's end.
 * True when it removed them.
 */
export const removeIfStillNames = (locked: LockedPidfile, pid: Pid): Effect.Effect<boolean, PidfileInvalid | OsError, PidfileFiles | Processes> =>
  Effect.gen(function*() {
    const files = yield* PidfileFiles
    const rewritten = Effect.as(Effect.logWarning(`pidfile no longer names process ${pid} (rewritten meanwhile); left in place`), false)
    const content = yield* readContent(locked.file)
    // Equivalent mutant, not disabled (the line's other ConditionalExpression mutants are killable): content._tag !== "Valid"
    // → false; an invalid content has no pid, so the PID comparison takes the same path.
    if (content._tag !== "Valid" || content.pid !== pid) return yield* rewritten
    // While the locked pidfile is in place no claim can write a record, so
    // the record there now is this pidfile's. Once the pidfile is gone a
    // claim may create a new one and write its own record: remove only this one.
    const record = yield* files.nodeAt(identityRecordPath(locked.path))
    // Pidfile first: a crash in between leaves a record without a pidfile,
    // which the next claim replaces, never a pidfile without its record.
    if (!(yield* files.remove(locked.path, locked.file.node))) return yield* rewritten
    if (Option.isSome(record)) yield* files.remove(identityRecordPath(locked.path), record.value)
    yield* Effect.logInfo("pidfile removed")
    return true
  })

/**
 * @since 0.2.0
 * @category outcomes
 */
export type ReleaseOutcome = Data.TaggedEnum<{
  /** The pidfile named the process; it and its record are gone. */
  Released: {}
  NoPidfile: {}
  /** The pidfile names something else now (a successor's claim, another tool's content): left as it is. */
  Kept: {}
}>

export const ReleaseOutcome = Data.taggedEnum<ReleaseOutcome>()

/**
 * Removes the pidfile at `path` and its identity record if the pidfile
 * names `pid`; under the pidfile's lock, so it fails with `PidfileLocked`
 * while a `kill` (which removes the pidfile itself once `pid` is gone) or a
 * claim is at work.
 * @since 0.2.0
 * @category programs
 */
export const release = (path: string, pid: Pid): Effect.Effect<ReleaseOutcome, LockError, PidfileFiles | Processes> =>
  Effect.gen(function*() {
    const locked = yield* lock(path)
    if (Option.isNone(locked)) return ReleaseOutcome.NoPidfile()
    return (yield* removeIfStillNames(locked.value, pid)) ? ReleaseOutcome.Released() : ReleaseOutcome.Kept()
  }).pipe(Effect.scoped, Effect.annotateLogs({ pid, pidfile: path }))

/**
 * @since 0.2.0
 * @category options
 */
export interface ScopedClaimRequest {
  readonly path: string
  /** Default: this process. */
  readonly pid?: Pid
  /** As `claim`'s: stop what a stale pidfile's job left behind, first. */
  readonly tree?: JobStopOptions
}

/** This process's PID, as a `Pid`; fails for PID 1 (an app that is a container's init), which sipid never claims. */
export const ownPid = Effect.flatMap(Effect.flatMap(Processes, (processes) => processes.pidMax), (pidMax) => parsePid(String(process.pid), pidMax))

/**
 * Claims the pidfile (`claim`) for the life of the scope: when the scope
 * closes, `release`. A release that cannot happen (a `kill` holds the lock
 * while it stops this process, and removes the pidfile itself) is logged.
 * @since 0.2.0
 * @category programs
 */
export const claimScoped = (
  request: ScopedClaimRequest
): Effect.Effect<ClaimOutcome, LockError | ClaimError | InvalidPid, PidfileFiles | Processes | Scope.Scope> =>
  Effect.gen(function*() {
    const pid = request.pid ?? (yield* ownPid)
    return yield* Effect.acquireRelease(
      claim({ ...request, pid }),
      () => release(request.path, pid).pipe(Effect.catchAll((error) => Effect.logWarning(`pidfile not released: ${error.message}`)))
    )
  })
