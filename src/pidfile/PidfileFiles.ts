/**
 * The file operations a pidfile needs and Node's `fs` alone cannot express
 * safely: opening without following a symlink, flock(2), and making content
 * visible atomically (a locked temporary file, fsynced, then linked or
 * renamed onto the path), so a reader that does not lock (monit) never sees
 * an empty or partial pidfile.
 *
 * Every path is reached one directory at a time (`pathWalk.ts`): a
 * symbolic link on the way is followed only if no other user than root (or
 * the caller) may have chosen where it points; any other fails the
 * operation with `PidfileInvalid`, before anything is read or written.
 *
 * The lock protocol (`lock.ts`) and the programs use only this tag;
 * `PidfileFilesLive` is the real file system and `PidfileFilesTest` an
 * in-memory one whose inodes and locks a test can manipulate. One contract
 * suite (`test/unit/PidfileFiles.contract.test.ts`) runs against both.
 */
import { Context, type Effect, type Option, type Scope } from "effect"
import type { OsError } from "../os/OsError.js"
import type { PidfileInvalid } from "./errors.js"

/**
 * Device and inode: which file a path names at one moment.
 * @since 0.1.0
 * @category models
 */
export interface FileNode {
  readonly dev: number
  readonly ino: number
}

export const sameNode = (a: FileNode, b: FileNode): boolean => a.dev === b.dev && a.ino === b.ino

/**
 * An open regular file, as fstat(2) described it when it was opened.
 * @since 0.1.0
 * @category models
 */
export interface OpenFile {
  readonly fd: number
  readonly node: FileNode
  readonly uid: number
  readonly mode: number
}

/**
 * The name of a temporary file for `target` (a base name) in its directory:
 * hidden, and recognisable by `isTemporaryOf` when an interrupted run left it.
 */
export const temporaryName = (target: string, id: string): string => `.${target}.${id}.tmp`

/** How many hex digits a temporary's random id has. */
export const temporaryIdLength = 12

export const isTemporaryOf = (target: string, name: string): boolean => {
  const prefix = `.${target}.`
  return name.startsWith(prefix) && name.endsWith(".tmp") &&
    /^[0-9a-f]+$/.test(name.slice(prefix.length, -".tmp".length)) &&
    name.length === prefix.length + temporaryIdLength + ".tmp".length
}

/**
 * @since 0.1.0
 * @category services
 */
export interface PidfileFilesService {
  /** Creates `directory` and its parents if missing. */
  readonly makeDirectory: (directory: string) => Effect.Effect<void, PidfileInvalid | OsError>
  /**
   * Opens an existing `path` without following a symlink in its last
   * component. Refuses a symlink, a directory or anything else that is not a
   * regular file. `None` when nothing is at `path`. The file stays open
   * until the scope closes, which also releases any lock taken on it.
   */
  readonly open: (path: string) => Effect.Effect<Option.Option<OpenFile>, PidfileInvalid | OsError, Scope.Scope>
  /** flock(LOCK_EX | LOCK_NB): false when another open file description holds the lock. */
  readonly tryLock: (file: OpenFile) => Effect.Effect<boolean, OsError>
  /** lstat(2): what `path` names now, if anything. */
  readonly nodeAt: (path: string) => Effect.Effect<Option.Option<FileNode>, PidfileInvalid | OsError>
  /**
   * The whole file as text, from its start; `None` when it holds more than
   * `maxBytes` bytes (reading stops there, so a huge file costs nothing).
   */
  readonly read: (file: OpenFile, maxBytes: number) => Effect.Effect<Option.Option<string>, OsError>
  /**
   * Makes a new file holding `content` (mode 0644) appear at `path`, unless
   * something is already there (`None`, nothing changed). The file appears
   * with its content or not at all, and already locked: it is a locked,
   * fsynced temporary linked onto the path (link(2) fails with EEXIST
   * instead of replacing anything); a failure after the link takes it back.
   * It stays open and locked until the scope closes.
   */
  readonly create: (path: string, content: string) => Effect.Effect<Option.Option<OpenFile>, PidfileInvalid | OsError, Scope.Scope>
  /**
   * Replaces `path` with a new file holding `content`, mode 0644, so that a
   * reader sees either the old or the new content, never a partial one. The
   * new file is locked before it becomes visible and stays open, locked,
   * until the scope closes. Unless `durable` is false, the file and the
   * rename are fsynced, so a crash leaves the old or the new content.
   */
  readonly publish: (
    path: string,
    content: string,
    options?: { readonly durable?: boolean }
  ) => Effect.Effect<OpenFile, PidfileInvalid | OsError, Scope.Scope>
  /**
   * Removes the temporaries of `path` (see `temporaryName`) that earlier
   * runs left when they were killed mid-write. A temporary is locked from
   * its creation until it is linked or renamed, so one whose lock can be
   * taken has no living writer; so has one that is another name of `held`,
   * the pidfile the caller has locked. Returns the names removed.
   */
  readonly removeAbandonedTemporaries: (path: string, held: FileNode) => Effect.Effect<ReadonlyArray<string>, PidfileInvalid | OsError>
  /**
   * Unlinks `path` if it still names `node`, the file the caller judged: a
   * file another program put there since stays. True when it removed it;
   * false when `path` names another file, or nothing. (POSIX has no
   * unlink-if: the check and the unlink follow each other at once.)
   */
  readonly remove: (path: string, node: FileNode) => Effect.Effect<boolean, PidfileInvalid | OsError>
}

/**
 * @since 0.1.0
 * @category services
 */
export class PidfileFiles extends Context.Tag("sipid/PidfileFiles")<PidfileFiles, PidfileFilesService>() {}
