/**
 * The file operations a pidfile needs and Node's `fs` alone cannot express
 * safely: opening without following a symlink, flock(2), and publishing new
 * content atomically (temporary file, fsync, rename, fsync of the directory).
 *
 * The lock protocol (`lock.ts`) and the programs use only this tag;
 * `PidfileFilesLive` is the real file system and `PidfileFilesTest` an
 * in-memory one whose inodes and locks a test can manipulate.
 */
import { Context, type Effect, type Option, type Scope } from "effect"
import type { PidfileInvalid, SystemError } from "../errors.js"

/** Device and inode: which file a path names at one moment. */
export interface FileNode {
  readonly dev: number
  readonly ino: number
}

export const sameNode = (a: FileNode, b: FileNode): boolean => a.dev === b.dev && a.ino === b.ino

/** An open regular file, as fstat(2) described it when it was opened. */
export interface OpenFile {
  readonly fd: number
  readonly node: FileNode
  readonly uid: number
  readonly mode: number
}

export interface PidfileFilesService {
  /** Creates `directory` and its parents if missing. */
  readonly makeDirectory: (directory: string) => Effect.Effect<void, SystemError>
  /**
   * Opens `path` without following a symlink in its last component. Refuses
   * a symlink, a directory or anything else that is not a regular file.
   * `None` when the file does not exist and `create` is false.
   */
  readonly open: (path: string, options: { readonly create: boolean }) => Effect.Effect<Option.Option<OpenFile>, PidfileInvalid | SystemError>
  /** flock(LOCK_EX | LOCK_NB): false when another open file description holds the lock. */
  readonly tryLock: (file: OpenFile) => Effect.Effect<boolean, SystemError>
  /** Closes the file, which also releases its lock. */
  readonly close: (file: OpenFile) => Effect.Effect<void>
  /** lstat(2): what `path` names now, if anything. */
  readonly nodeAt: (path: string) => Effect.Effect<Option.Option<FileNode>, SystemError>
  /** The file's first bytes as text; enough for any valid content (pidfiles are tiny). */
  readonly read: (file: OpenFile) => Effect.Effect<string, SystemError>
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
  ) => Effect.Effect<OpenFile, SystemError, Scope.Scope>
  /** Unlinks `path`; a missing file is not an error. */
  readonly remove: (path: string) => Effect.Effect<void, SystemError>
}

export class PidfileFiles extends Context.Tag("sipid/PidfileFiles")<PidfileFiles, PidfileFilesService>() {}
