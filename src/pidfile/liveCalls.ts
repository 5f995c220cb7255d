/**
 * The calls the live `PidfileFiles` is made of, each a system call or a
 * fixed few on Node's `fs`, by path (inside a pinned directory, see
 * `pinnedDirectory.ts`) or by descriptor.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import type { OsError } from "../os/OsError.js"
import { osError } from "../os/errno.js"
import { type PidfileInvalid, PidfileProblem } from "./errors.js"
import { type FileNode, type OpenFile, sameNode } from "./PidfileFiles.js"
import type { PinnedDirectory } from "./pinnedDirectory.js"

const { O_DIRECTORY, O_RDONLY } = fs.constants

/** What a file that is not a regular one is, as a `PidfileProblem`. */
export const nonRegular = (stats: fs.Stats): PidfileProblem =>
  stats.isSymbolicLink()
    ? PidfileProblem.Symlink()
    : PidfileProblem.NotRegular({ kind: stats.isDirectory() ? "directory" : stats.isFIFO() ? "FIFO" : stats.isSocket() ? "socket" : "device" })

export const openFile = (fd: number, stats: fs.Stats): OpenFile => ({
  fd,
  node: { dev: stats.dev, ino: stats.ino },
  uid: stats.uid,
  mode: stats.mode
})

export const attempt = <A>(operation: string, path: string, run: () => A): Effect.Effect<A, OsError> =>
  Effect.try({ try: run, catch: (cause) => osError(operation, path, cause) })

/** The errno name of a Node error (`ENOENT`), undefined for anything else. */
export const codeOf = (cause: unknown) => (cause as NodeJS.ErrnoException).code

/** lstat without throwing for a missing path. */
export const nodeAtSync = (path: string): FileNode | undefined => {
  const stats = fs.lstatSync(path, { throwIfNoEntry: false })
  return stats && { dev: stats.dev, ino: stats.ino }
}

/** unlink(2) of a name only this process could have used (a random temporary): nothing to report. */
export const unlinkIfPresent = (path: string) => {
  try {
    fs.unlinkSync(path)
  } catch (cause) {
    if (codeOf(cause) !== "ENOENT") throw cause
  }
}

/** Makes the new file `fd` hold `content`, mode 0644 whatever the umask, fsynced when `durable`. */
export const writeContent = (fd: number, content: string, durable: boolean) => {
  fs.fchmodSync(fd, 0o644)
  fs.writeFileSync(fd, content)
  if (durable) fs.fsyncSync(fd)
}

/** Unlinks `path` if it still names `node`; false when it names another file, or nothing. */
export const removeIfSame = (path: string, node: FileNode): boolean => {
  const current = nodeAtSync(path)
  if (current === undefined || !sameNode(current, node)) return false
  unlinkIfPresent(path)
  return true
}

/**
 * fsyncs `directory` (at `path`) to make a link or rename in it durable.
 * Opening a directory needs read permission, which a caller that may only
 * write and search it (mode 0300) lacks. By then the change is made and
 * visible: failing would report a claim failed that took effect. So that
 * is only a warning; a crash soon after may undo the change.
 */
export const fsyncDirectory = (directory: PinnedDirectory, path: string) =>
  Effect.flatMap(
    attempt("fsync", path, () => {
      let fd: number
      try {
        fd = fs.openSync(directory.self, O_RDONLY | O_DIRECTORY)
      } catch (cause) {
        if (codeOf(cause) === "EACCES" || codeOf(cause) === "EPERM") return codeOf(cause)
        throw cause
      }
      try {
        fs.fsyncSync(fd)
      } finally {
        fs.closeSync(fd)
      }
    }),
    (refused) =>
      refused === undefined
        ? Effect.void
        : Effect.logWarning(`${path}: not fsynced, as it may not be read (${refused}): the change is made, but a crash soon after may undo it`)
  )

/** A directory that is not there: the pidfile is not there either. */
export const isMissing = (error: PidfileInvalid | OsError) => error._tag === "OsError" && error.code === "ENOENT"
