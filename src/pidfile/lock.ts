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
import { Effect, Option, type Scope } from "effect"
import { PidfileLocked, SystemError } from "../errors.js"
import type { PidfileInvalid } from "../errors.js"
import { type OpenFile, PidfileFiles, sameNode } from "./PidfileFiles.js"

export interface LockedPidfile {
  readonly path: string
  readonly file: OpenFile
}

/** How many times the path may change under us before sipid gives up. */
export const maxLockAttempts = 20

type Attempt =
  | { readonly _tag: "Locked"; readonly locked: LockedPidfile }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Replaced" }

const attempt = (path: string) =>
  Effect.gen(function*() {
    const files = yield* PidfileFiles
    const opened = yield* files.open(path)
    if (Option.isNone(opened)) return { _tag: "Missing" } as Attempt
    const file = opened.value
    const outcome = yield* Effect.gen(function*() {
      if (!(yield* files.tryLock(file))) return yield* new PidfileLocked({ path })
      const current = yield* files.nodeAt(path)
      return Option.isSome(current) && sameNode(current.value, file.node)
        ? ({ _tag: "Locked", locked: { path, file } } as Attempt)
        : ({ _tag: "Replaced" } as Attempt)
    }).pipe(Effect.onError(() => files.close(file)))
    if (outcome._tag === "Replaced") yield* files.close(file)
    return outcome
  })

const giveUp = (path: string) =>
  new SystemError({
    operation: "lock",
    path,
    code: "EAGAIN",
    detail: `the file was replaced ${maxLockAttempts} times while locking`
  })

/**
 * One round of locking: the existing pidfile, locked; or, when there is
 * none and `content` is given, a new pidfile holding it, created locked;
 * `Retry` when the path changed under us.
 */
const lockRound = (path: string, content: string | undefined) =>
  Effect.gen(function*() {
    const files = yield* PidfileFiles
    const outcome = yield* Effect.acquireRelease(
      attempt(path),
      (outcome) => (outcome._tag === "Locked" ? files.close(outcome.locked.file) : Effect.void)
    )
    if (outcome._tag === "Locked") return Option.some<Locked>({ _tag: "Existing", locked: outcome.locked })
    if (outcome._tag === "Replaced") return Option.none<Locked>()
    if (content === undefined) return Option.some<Locked>({ _tag: "Missing" })
    // Another claim may create it first (None): then lock what it made.
    const created = yield* files.create(path, content)
    return Option.map(created, (file): Locked => ({ _tag: "Created", locked: { path, file } }))
  })

type Locked =
  | { readonly _tag: "Existing"; readonly locked: LockedPidfile }
  | { readonly _tag: "Created"; readonly locked: LockedPidfile }
  | { readonly _tag: "Missing" }

const retrying = (path: string, content: string | undefined) =>
  Effect.gen(function*() {
    for (let attempts = 1; attempts <= maxLockAttempts; attempts++) {
      const outcome = yield* lockRound(path, content)
      if (Option.isSome(outcome)) return outcome.value
      yield* Effect.logDebug(`pidfile was replaced while locking (attempt ${attempts}); retrying`)
    }
    return yield* giveUp(path)
  })

/**
 * Locks the existing pidfile at `path` for the life of the scope; `None`
 * when it does not exist. Fails at once with `PidfileLocked` when another
 * process holds the lock.
 */
export const lock = (
  path: string
): Effect.Effect<Option.Option<LockedPidfile>, PidfileLocked | PidfileInvalid | SystemError, PidfileFiles | Scope.Scope> =>
  Effect.map(retrying(path, undefined), (outcome) => (outcome._tag === "Missing" ? Option.none() : Option.some(outcome.locked)))

/**
 * Locks the pidfile at `path` for the life of the scope, as `lock` does;
 * when there is none, creates it holding `content` (`Created`), locked
 * before it becomes visible.
 */
export const lockOrCreate = (
  path: string,
  content: string
): Effect.Effect<Exclude<Locked, { _tag: "Missing" }>, PidfileLocked | PidfileInvalid | SystemError, PidfileFiles | Scope.Scope> =>
  // With content to create, a round never ends in Missing.
  Effect.map(retrying(path, content), (outcome) => outcome as Exclude<Locked, { _tag: "Missing" }>)
