/**
 * The pidfile lock: an exclusive, non-blocking flock(2) on the pidfile
 * itself, so `flock -n FILE cmd` and sipid exclude each other.
 *
 * A flock belongs to an inode, not a path. Between open and flock another
 * sipid may unlink the file (kill) or rename a new one over it (claim), so
 * after locking, the path must still name the locked inode; if not, start
 * over (FreeBSD's flopen(3) does the same).
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

const attempt = (path: string, create: boolean) =>
  Effect.gen(function*() {
    const files = yield* PidfileFiles
    const opened = yield* files.open(path, { create })
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

/**
 * Locks the pidfile at `path` for the life of the scope; `None` when it does
 * not exist and `create` is false. Fails at once with `PidfileLocked` when
 * another process holds the lock.
 */
export const lock = (
  path: string,
  options: { readonly create: boolean }
): Effect.Effect<Option.Option<LockedPidfile>, PidfileLocked | PidfileInvalid | SystemError, PidfileFiles | Scope.Scope> =>
  Effect.gen(function*() {
    const files = yield* PidfileFiles
    for (let attempts = 1; attempts <= maxLockAttempts; attempts++) {
      const outcome = yield* Effect.acquireRelease(
        attempt(path, options.create),
        (outcome) => (outcome._tag === "Locked" ? files.close(outcome.locked.file) : Effect.void)
      )
      if (outcome._tag === "Locked") return Option.some(outcome.locked)
      if (outcome._tag === "Missing") return Option.none()
      yield* Effect.logDebug(`pidfile was replaced while locking (attempt ${attempts}); retrying`)
    }
    return yield* new SystemError({
      operation: "lock",
      path,
      code: "EAGAIN",
      detail: `the file was replaced ${maxLockAttempts} times while locking`
    })
  })
