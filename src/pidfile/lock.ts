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
import { LockRetriesExhausted, type PidfileInvalid, PidfileLocked, type SystemError } from "../errors.js"
import { type OpenFile, PidfileFiles, sameNode } from "./PidfileFiles.js"

/** A pidfile locked for the life of the scope that locked it. */
export interface LockedPidfile {
  readonly path: string
  readonly file: OpenFile
  /** True when this lock made the pidfile, holding the content it was asked to create. */
  readonly created: boolean
}

export type LockError = PidfileLocked | PidfileInvalid | LockRetriesExhausted | SystemError

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
    return Option.some({ path, file, created: false })
  })

/** Locks the file at `path`, or creates it holding `content`, locked before it becomes visible. */
const lockOrCreate = (path: string, content: string): Round<LockedPidfile> =>
  Effect.flatMap(lockExisting(path), (existing) =>
    Option.isSome(existing)
      ? Effect.succeed(existing.value)
      : Effect.flatMap(PidfileFiles, (files) => files.create(path, content)).pipe(
        // Another claim created it first: lock what it made.
        Effect.flatMap(Option.match({
          onNone: () => new Replaced(),
          onSome: (file) => Effect.succeed({ path, file, created: true })
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
 * Without options: the lock, or `None` when there is no pidfile. With
 * `create`: when there is none, creates it holding `create` (the lock's
 * `created` says so), locked before it becomes visible.
 */
export function lock(path: string): Effect.Effect<Option.Option<LockedPidfile>, LockError, PidfileFiles | Scope.Scope>
export function lock(path: string, options: { readonly create: string }): Effect.Effect<LockedPidfile, LockError, PidfileFiles | Scope.Scope>
export function lock(path: string, options?: { readonly create: string }) {
  return options === undefined ? untilSettled(path, lockExisting(path)) : untilSettled(path, lockOrCreate(path, options.create))
}
