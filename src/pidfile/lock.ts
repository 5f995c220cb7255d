/**
 * The pidfile lock: an exclusive, non-blocking flock(2) on the pidfile
 * itself, so `flock -n FILE cmd` and sipid exclude each other.
 *
 * A flock belongs to an inode, not a path. Between open and flock another
 * sipid may unlink the file (kill) or rename a new one over it (claim), so
 * after locking, the path must still name the locked inode; if not, start
 * over (FreeBSD's flopen(3) does the same).
 *
 * `claim` never creates the pidfile by opening it: a new pidfile appears
 * with its content and its lock at once (`PidfileFiles.create`), so no
 * reader ever sees it empty, and an interrupted claim leaves no empty file.
 */
import { Data, Effect, ExecutionStrategy, Exit, Option, Scope } from "effect"
import type { OsError } from "../os/OsError.js"
import { LockRetriesExhausted, type PidfileInvalid, PidfileLocked } from "./errors.js"
import type { Pid } from "../process/Pid.js"
import { type OpenFile, PidfileFiles, sameNode } from "./PidfileFiles.js"

/**
 * A pidfile locked for the life of the scope that locked it. The two kinds
 * are kept apart because `stop` may act only on a pidfile that was there:
 * one this lock created names the process just being claimed.
 * @since 0.1.0
 * @category outcomes
 */
export type PidfileLock = Data.TaggedEnum<{
  /** A pidfile that was there before the lock: what `stop` acts on. */
  Existing: { readonly path: string; readonly file: OpenFile }
  /** A pidfile this lock created, holding `pid`: only `claimLocked` for that PID finishes it. */
  Created: { readonly path: string; readonly file: OpenFile; readonly pid: Pid }
}>

export const PidfileLock = Data.taggedEnum<PidfileLock>()

/**
 * The lock on a pidfile that was there: what `lock(path)` gives and `stop` takes.
 * @since 0.1.0
 * @category outcomes
 */
export type LockedPidfile = Data.TaggedEnum.Value<PidfileLock, "Existing">

/**
 * @since 0.1.0
 * @category errors
 */
export type LockError = PidfileLocked | PidfileInvalid | LockRetriesExhausted | OsError

/** How many times the path may change under us before sipid gives up. */
export const maxLockAttempts = 20

/** The path named another file by the time it was locked: this round is void. */
class Replaced extends Data.TaggedError("Replaced") {}

type Round<A> = Effect.Effect<A, Replaced | Exclude<LockError, LockRetriesExhausted>, PidfileFiles | Scope.Scope>

/** Locks the file at `path` if there is one. */
const lockExisting = (path: string): Round<Option.Option<LockedPidfile>> =>
  Effect.gen(function*() {
    const files = yield* PidfileFiles
    const opened = yield* files.open(path)
    if (Option.isNone(opened)) return Option.none()
    const file = opened.value
    if (!(yield* files.tryLock(file))) return yield* new PidfileLocked({ path })
    const current = yield* files.nodeAt(path)
    if (Option.isNone(current) || !sameNode(current.value, file.node)) return yield* new Replaced()
    return Option.some(PidfileLock.Existing({ path, file }))
  })

/** Locks the file at `path`, or creates it holding `PID\n`, locked before it becomes visible. */
const lockOrCreate = (path: string, pid: Pid): Round<PidfileLock> =>
  Effect.flatMap(lockExisting(path), (existing) =>
    Option.isSome(existing)
      ? Effect.succeed<PidfileLock>(existing.value)
      : Effect.flatMap(PidfileFiles, (files) => files.create(path, `${pid}\n`)).pipe(
        // Another claim created it first: lock what it made.
        Effect.flatMap(Option.match({
          onNone: () => new Replaced(),
          onSome: (file) => Effect.succeed(PidfileLock.Created({ path, file, pid }))
        }))
      ))

/**
 * Runs `round` in a scope of its own until the path holds still. What a
 * void or failed round opened is closed at once; the file of the round that
 * succeeds stays open, and locked, until the caller's scope closes.
 */
const untilSettled = <A>(path: string, round: Round<A>): Effect.Effect<A, LockError, PidfileFiles | Scope.Scope> =>
  Effect.gen(function*() {
    const outer = yield* Effect.scope
    for (let attempts = 1; attempts <= maxLockAttempts; attempts++) {
      const scope = yield* Scope.fork(outer, ExecutionStrategy.sequential)
      const outcome = yield* round.pipe(
        Scope.extend(scope),
        Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause))),
        Effect.map(Option.some),
        Effect.catchTag("Replaced", () => Effect.succeedNone)
      )
      if (Option.isSome(outcome)) return outcome.value
      yield* Effect.logDebug(`pidfile was replaced while locking (attempt ${attempts}); retrying`)
    }
    return yield* new LockRetriesExhausted({ path, attempts: maxLockAttempts })
  })

/**
 * Locks the pidfile at `path` for the life of the scope. Fails at once with
 * `PidfileLocked` when another process holds the lock.
 *
 * Without options: the lock (`Existing`), or `None` when there is no
 * pidfile. With `create`: the pidfile that was there (`Existing`), or one
 * created holding `PID\n`, locked before it became visible (`Created`).
 * @since 0.1.0
 * @category programs
 */
export function lock(path: string): Effect.Effect<Option.Option<LockedPidfile>, LockError, PidfileFiles | Scope.Scope>
export function lock(path: string, options: { readonly create: Pid }): Effect.Effect<PidfileLock, LockError, PidfileFiles | Scope.Scope>
export function lock(path: string, options?: { readonly create: Pid }) {
  return options === undefined ? untilSettled(path, lockExisting(path)) : untilSettled(path, lockOrCreate(path, options.create))
}
