/**
 * `claim`: make the pidfile name a process, unless a live process already
 * owns it. Safe against concurrent claims and kills (the lock), against
 * readers that do not lock, such as monit (atomic publish), and against
 * stale pidfiles and reused PIDs (the identity record).
 */
import { Data, Effect, Option, type Scope } from "effect"
import { dirname } from "node:path"
import type { OsError } from "../os/OsError.js"
import { ClaimantInvalid, ClaimantProblem, PidfileInvalid, PidfileProblem, PidfileOwned } from "./errors.js"
import type { JobSurvived, JobUnseen, ProcessHidden } from "../process/errors.js"
import { type Pid, sipidAndParent } from "../process/Pid.js"
import { type Alive, isThread, Processes } from "../process/Processes.js"
import type { JobStopOptions } from "../process/stopJob.js"
import { readContent } from "./content.js"
import { identityRecordPath, writeIdentityRecord } from "./identityRecord.js"
import { lock, type LockError, type PidfileLock } from "./lock.js"
import { findOccupant } from "./occupant.js"
import { type FileNode, type OpenFile, PidfileFiles, sameNode } from "./PidfileFiles.js"
import { claimOverStaleJob } from "./staleJob.js"
import { ownerMaySignal, sipidUid } from "./trust.js"

/**
 * @since 0.1.0
 * @category options
 */
export interface ClaimRequest {
  /** The pidfile to claim. */
  readonly path: string
  /** The process that will own it; must be running. */
  readonly pid: Pid
  /**
   * Over a stale pidfile, first stop what its job left behind, as `kill
   * --tree` would (`--tree`); without it, a warning names what still runs.
   */
  readonly tree?: JobStopOptions
}

/**
 * @since 0.1.0
 * @category outcomes
 */
export type ClaimOutcome = Data.TaggedEnum<{
  /** The pidfile now names the process: it was created, or replaced a stale or invalid one. */
  Claimed: {}
  /**
   * The pidfile already named this very process; nothing changed, except
   * that a missing identity record was written.
   */
  AlreadyClaimed: {}
}>

export const ClaimOutcome = Data.taggedEnum<ClaimOutcome>()

/**
 * Removes temporaries that interrupted claims left beside the pidfile and
 * its record. Tidying only: a failure is logged, never fails the claim.
 */
const removeLeftovers = (path: string, held: FileNode) =>
  Effect.gen(function*() {
    const files = yield* PidfileFiles
    for (const target of [path, identityRecordPath(path)]) {
      const removed = yield* files.removeAbandonedTemporaries(target, held)
      if (removed.length > 0) yield* Effect.logInfo(`removed temporary files left by interrupted runs: ${removed.join(", ")}`)
    }
  }).pipe(Effect.catchAll((error) => Effect.logWarning(`could not remove leftover temporary files: ${error.message}`)))

/**
 * Takes back a pidfile this claim created when the claim cannot finish (its
 * record could not be written): a failed claim leaves nothing behind. Only
 * while the path still names the file created, which the lock still holds.
 */
const withdraw = ({ file, path }: PidfileLock) =>
  Effect.flatMap(PidfileFiles, (files) => files.remove(path, file.node)).pipe(
    Effect.catchAll((error) => Effect.logWarning(`could not remove the new pidfile after the failure: ${error.message}`))
  )

/**
 * @since 0.1.0
 * @category errors
 */
export type ClaimError = ClaimantInvalid | PidfileOwned | PidfileInvalid | JobSurvived | JobUnseen | ProcessHidden | OsError

/** The process to claim for: it must be running, and a process rather than a thread or a kernel thread. */
const claimant = (pid: Pid): Effect.Effect<Alive, ClaimantInvalid | ProcessHidden | OsError, Processes> =>
  Effect.gen(function*() {
    const processes = yield* Processes
    const state = yield* processes.inspect(pid)
    if (state._tag !== "Alive") {
      return yield* new ClaimantInvalid({ pid, problem: ClaimantProblem.NotRunning() })
    }
    if (isThread(state)) {
      return yield* new ClaimantInvalid({ pid, problem: ClaimantProblem.Thread({ process: state.threadGroup }) })
    }
    // kthreadd and its kernel threads are never a job's process, and no stop can end them.
    const lineage = yield* processes.lineage(pid)
    if (Option.isSome(lineage) && lineage.value.kernelThread) {
      return yield* new ClaimantInvalid({ pid, problem: ClaimantProblem.KernelThread({ command: lineage.value.command }) })
    }
    return state
  })

/** A claim whose pidfile stays locked until the caller's scope closes. */
export interface HeldClaim {
  readonly outcome: ClaimOutcome
  /** The pidfile at the path now, naming the claimant: open and locked. */
  readonly file: OpenFile
}

/**
 * `claim`, leaving the pidfile locked until the caller's scope closes: `sipid
 * run` holds it until the exec, which closes it, so no stop can come
 * between the claim and the job.
 */
export const claimHeld = ({ path, pid, tree }: ClaimRequest): Effect.Effect<HeldClaim, LockError | ClaimError, PidfileFiles | Processes | Scope.Scope> =>
  Effect.gen(function*() {
    const alive = yield* claimant(pid)
    yield* (yield* PidfileFiles).makeDirectory(dirname(path))
    return yield* claimUnder(yield* lock(path, { create: pid }), alive, tree)
  }).pipe(Effect.annotateLogs({ pid, pidfile: path }))

/**
 * Makes the pidfile name a process, unless a live process already owns it.
 * @since 0.1.0
 * @category programs
 */
export const claim: (request: ClaimRequest) => Effect.Effect<ClaimOutcome, LockError | ClaimError, PidfileFiles | Processes> = Effect
  .fn("sipid/claim")(
    function*(request: ClaimRequest) {
      // Stryker disable next-line ObjectLiteral: span attributes are trace data, which no unit test reads
      yield* Effect.annotateCurrentSpan({ pidfile: request.path, pid: request.pid })
      return (yield* claimHeld(request)).outcome
    },
    Effect.scoped
  )

/**
 * The part of `claim` after the lock, for a caller that holds the lock
 * already (after `stop`, to hand a pidfile to a successor with no moment in
 * which another claim could take it). The new pidfile stays locked until
 * the caller's scope closes. A pidfile the lock created (`Created`) is
 * claimed only for the PID it was created holding.
 * @since 0.1.0
 * @category programs
 */
export const claimLocked = (
  locked: PidfileLock,
  pid: Pid,
  options: { readonly tree?: JobStopOptions } = {}
): Effect.Effect<ClaimOutcome, ClaimError, PidfileFiles | Processes | Scope.Scope> =>
  Effect.flatMap(claimant(pid), (process) => claimUnder(locked, process, options.tree)).pipe(
    Effect.map(({ outcome }) => outcome),
    Effect.annotateLogs({ pid, pidfile: locked.path })
  )

/**
 * The lock holds the file it opened, not the path: a tool that does not lock
 * (start-stop-daemon, an editor) may have put a new file there meanwhile,
 * perhaps naming a live process. That file is not ours to replace.
 */
const ensureStillNamed = ({ file, path }: PidfileLock) =>
  Effect.gen(function*() {
    const current = yield* (yield* PidfileFiles).nodeAt(path)
    if (Option.isNone(current) || !sameNode(current.value, file.node)) {
      return yield* new PidfileInvalid({ path, problem: PidfileProblem.ChangedWhileLocked({ removed: Option.isNone(current) }) })
    }
  })

/**
 * The pidfile already names the claimant, but no record says who that is
 * (another tool or the Go sipid wrote it, or the record was lost): without
 * one a later kill cannot tell the process from a stranger that reuses its
 * PID. The claimant vouches for the process, so record it. A record is
 * believed only beside a pidfile of its own owner, so a pidfile another user
 * owns is written again, with the same content, as the caller's.
 */
const recordMissingIdentity = (locked: PidfileLock, claimant: Alive) =>
  Effect.gen(function*() {
    const { file, path } = locked
    const { pid } = claimant.identity
    yield* ensureStillNamed(locked)
    const recordOwner = yield* writeIdentityRecord(path, claimant.identity)
    const held = recordOwner === file.uid ? file : yield* (yield* PidfileFiles).publish(path, `${pid}\n`)
    yield* Effect.logInfo(`already claimed by process ${pid}; recorded its identity, which was missing`)
    return { outcome: ClaimOutcome.AlreadyClaimed(), file: held }
  })

const claimUnder = (locked: PidfileLock, claimant: Alive, tree: JobStopOptions | undefined) =>
  Effect.gen(function*() {
    const files = yield* PidfileFiles
    const { file, path } = locked
    const { pid } = claimant.identity
    yield* removeLeftovers(path, file.node)
    if (locked._tag === "Created") {
      if (locked.pid !== pid) {
        return yield* new ClaimantInvalid({ pid, problem: ClaimantProblem.CreatedForOther({ path, process: locked.pid }) })
      }
      yield* Effect.logDebug("pidfile is new")
      yield* ensureStillNamed(locked)
      // Only now, under the lock: a concurrent first claim that lost the
      // link(2) race never writes a record, so the winner's stays.
      yield* writeIdentityRecord(path, claimant.identity).pipe(Effect.tapError(() => withdraw(locked)))
      yield* Effect.logInfo(`claimed for process ${pid}`)
      return { outcome: ClaimOutcome.Claimed(), file }
    }
    const content = yield* readContent(file)

    switch (content._tag) {
      case "Empty":
        yield* Effect.logInfo("pidfile is empty")
        break
      case "Invalid": {
        // monit reads the first number: if that is a running process, the
        // file is that job's pidfile to monit, and replacing it would start a second copy.
        if (content.readAs !== undefined && (yield* findOccupant(path, file.uid, content.readAs))._tag === "Running") {
          return yield* new PidfileInvalid({ path, problem: PidfileProblem.MonitReadsRunning({ pid: content.readAs }) })
        }
        yield* Effect.logWarning(`pidfile is stale: ${content.reason}`)
        break
      }
      case "Valid": {
        const occupant = yield* findOccupant(path, file.uid, content.pid)
        if (occupant._tag === "Running") {
          if (content.pid !== pid) return yield* new PidfileOwned({ path, pid: content.pid })
          if (!occupant.recorded) return yield* recordMissingIdentity(locked, claimant)
          yield* Effect.logInfo(`already claimed by process ${pid}; nothing to do`)
          return { outcome: ClaimOutcome.AlreadyClaimed(), file }
        }
        const stale = { path, pidfileOwner: file.uid, pid: content.pid, reason: occupant.reason }
        // The claimant and whoever asks are never the stale job's, whatever session they are in.
        const callerPids = [pid, ...sipidAndParent()]
        yield* claimOverStaleJob(stale, { excluded: callerPids, mayStop: (member) => ownerMaySignal(file.uid, member, sipidUid()) }, tree)
      }
    }

    yield* ensureStillNamed(locked)
    // Record first: a record naming another PID than the pidfile is ignored,
    // so a crash between the two writes leaves nothing misleading.
    yield* writeIdentityRecord(path, claimant.identity)
    const published = yield* files.publish(path, `${pid}\n`)
    yield* Effect.logInfo(`claimed for process ${pid}`)
    return { outcome: ClaimOutcome.Claimed(), file: published }
  })
