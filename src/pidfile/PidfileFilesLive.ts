/**
 * Pidfile operations on the real file system with Node's `fs` (O_NOFOLLOW
 * opens, link(2), fsync of a directory) and flock from libc.
 *
 * Modelled on FreeBSD's flopen(3)/pidfile(3): every syscall failure is
 * either a precise `PidfileInvalid` or a `SystemError` naming the path.
 */
import { Effect, Layer, Option, type Scope } from "effect"
import * as fs from "node:fs"
import { basename, dirname, join } from "node:path"
import { randomBytes } from "node:crypto"
import { PidfileInvalid, SystemError, systemError } from "../errors.js"
import { Libc } from "../native/Libc.js"
import { type FileNode, isTemporaryOf, type OpenFile, PidfileFiles, sameNode, temporaryIdLength, temporaryName } from "./PidfileFiles.js"

const { O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR } = fs.constants

/** How often a new temporary may be taken from under us (see `lockedTemporary`) before giving up. */
const maxTemporaryAttempts = 5

const describeNonRegular = (stats: fs.Stats): string =>
  stats.isDirectory()
    ? "is a directory, not a pidfile"
    : stats.isFIFO()
    ? "is a FIFO, not a regular file"
    : stats.isSocket()
    ? "is a socket, not a regular file"
    : stats.isSymbolicLink()
    ? "is a symbolic link; sipid never follows one"
    : "is a device, not a regular file"

const openFile = (fd: number, stats: fs.Stats): OpenFile => ({
  fd,
  node: { dev: stats.dev, ino: stats.ino },
  uid: stats.uid,
  mode: stats.mode
})

const attempt = <A>(operation: string, path: string, run: () => A): Effect.Effect<A, SystemError> =>
  Effect.try({ try: run, catch: (cause) => systemError(operation, path, cause) })

const codeOf = (cause: unknown) => (cause as NodeJS.ErrnoException).code

/** lstat without throwing for a missing path. */
const nodeAtSync = (path: string): FileNode | undefined => {
  const stats = fs.lstatSync(path, { throwIfNoEntry: false })
  return stats && { dev: stats.dev, ino: stats.ino }
}

/** unlink(2) of a name only this process could have used (a random temporary): nothing to report. */
const unlinkIfPresent = (path: string) => {
  try {
    fs.unlinkSync(path)
  } catch (cause) {
    if (codeOf(cause) !== "ENOENT") throw cause
  }
}

/** Unlinks `path` if it still names `node`; false when it names another file, or nothing. */
const removeIfSame = (path: string, node: FileNode): boolean => {
  const current = nodeAtSync(path)
  if (current === undefined || !sameNode(current, node)) return false
  unlinkIfPresent(path)
  return true
}

const fsyncDirectory = (directory: string) => {
  const fd = fs.openSync(directory, O_RDONLY | O_DIRECTORY)
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdir reports ENOENT
 * where the kernel said EROFS, EACCES or ENOSPC.
 */
const makeDirectories = (directory: string): void => {
  try {
    fs.mkdirSync(directory)
  } catch (cause) {
    const code = codeOf(cause)
    if (code === "ENOENT" && dirname(directory) !== directory) {
      makeDirectories(dirname(directory))
      return makeDirectories(directory)
    }
    if (code === "EEXIST" && fs.statSync(directory).isDirectory()) return
    throw cause
  }
}

interface Temporary {
  readonly path: string
  readonly file: OpenFile
}

export const make = Effect.gen(function*() {
  const libc = yield* Libc

  const tryLock = (file: OpenFile, path: string) =>
    libc.tryLockExclusive(file.fd).pipe(Effect.mapError((error) => systemError("flock", path, error)))

  const closeOnce = (fd: number) => {
    let open = true
    return () => {
      if (open) fs.closeSync(fd)
      open = false
    }
  }

  /**
   * A new, empty temporary beside `target`, locked before anything is
   * written to it, so `removeAbandonedTemporaries` can tell it from a
   * leftover. Another claim's clean-up may lock and remove it in the
   * instant between the create and the flock: then take another name. The
   * scope closes the file and removes the temporary's name.
   */
  const lockedTemporary = (target: string): Effect.Effect<Temporary & { readonly close: () => void }, SystemError, Scope.Scope> =>
    Effect.gen(function*() {
      for (let attempts = 1; attempts <= maxTemporaryAttempts; attempts++) {
        const path = join(dirname(target), temporaryName(basename(target), randomBytes(temporaryIdLength / 2).toString("hex")))
        const fd = yield* attempt("create", target, () => fs.openSync(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644))
        const close = closeOnce(fd)
        const file = openFile(fd, fs.fstatSync(fd))
        // Best effort: a name left on a failing disk is a leftover the next claim removes. Effect.try,
        // not sync: a throw inside sync is a defect, which ignore would let through.
        yield* Effect.addFinalizer(() => Effect.try(() => (close(), unlinkIfPresent(path))).pipe(Effect.ignore))
        const locked = yield* tryLock(file, path)
        const current = nodeAtSync(path)
        if (locked && current !== undefined && sameNode(current, file.node)) return { path, file, close }
        close()
      }
      return yield* new SystemError({
        operation: "create",
        path: target,
        code: "EAGAIN",
        detail: `${maxTemporaryAttempts} temporary files were taken away while being created`
      })
    })

  /** Writes `content` into a fresh temporary (mode 0644 whatever the umask), fsynced when `durable`. */
  const writeTemporary = (target: string, content: string, durable: boolean) =>
    Effect.flatMap(lockedTemporary(target), (temporary) =>
      attempt("write", target, () => {
        fs.fchmodSync(temporary.file.fd, 0o644)
        fs.writeFileSync(temporary.file.fd, content)
        if (durable) fs.fsyncSync(temporary.file.fd)
        return temporary
      }))

  const openUnscoped = (path: string) =>
    Effect.suspend((): Effect.Effect<Option.Option<OpenFile>, PidfileInvalid | SystemError> => {
      let fd: number
      try {
        // O_NONBLOCK: opening a FIFO must not hang waiting for a writer. A
        // directory opens read-only; fstat below tells it apart.
        fd = fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
      } catch (cause) {
        const code = codeOf(cause)
        if (code === "ENOENT") return Effect.succeed(Option.none<OpenFile>())
        if (code === "ELOOP") return Effect.fail(new PidfileInvalid({ path, reason: "is a symbolic link; sipid never follows one" }))
        // ENXIO: a socket, or a device without a driver; say which.
        const stats = code === "ENXIO" ? fs.lstatSync(path, { throwIfNoEntry: false }) : undefined
        if (stats !== undefined) return Effect.fail(new PidfileInvalid({ path, reason: describeNonRegular(stats) }))
        return Effect.fail(systemError("open", path, cause))
      }
      const stats = fs.fstatSync(fd)
      if (!stats.isFile()) {
        fs.closeSync(fd)
        return Effect.fail(new PidfileInvalid({ path, reason: describeNonRegular(stats) }))
      }
      return Effect.succeed(Option.some(openFile(fd, stats)))
    })

  const open = (path: string) =>
    Effect.acquireRelease(openUnscoped(path), (file) => Effect.sync(() => Option.map(file, ({ fd }) => fs.closeSync(fd))))

  const read = (file: OpenFile, maxBytes: number) =>
    attempt("read", `fd ${file.fd}`, () => {
      // One byte more than allowed tells a file at the limit from a longer one.
      const buffer = Buffer.alloc(maxBytes + 1)
      let length = 0
      for (let got = -1; got !== 0 && length < buffer.length;) {
        got = fs.readSync(file.fd, buffer, length, buffer.length - length, length)
        length += got
      }
      return length > maxBytes ? Option.none() : Option.some(buffer.toString("utf8", 0, length))
    })

  const create = (path: string, content: string) =>
    Effect.gen(function*() {
      const temporary = yield* writeTemporary(path, content, true)
      // link(2), unlike rename(2), never replaces: EEXIST means another claim got there first.
      const linked = yield* attempt("link", path, () => {
        try {
          fs.linkSync(temporary.path, path)
          return true
        } catch (cause) {
          if (codeOf(cause) === "EEXIST") return false
          throw cause
        }
      })
      const removeTemporary = attempt("remove", temporary.path, () => unlinkIfPresent(temporary.path))
      if (!linked) {
        yield* removeTemporary
        temporary.close()
        return Option.none()
      }
      // A create that fails after the link takes its pidfile back: a failed claim leaves nothing.
      yield* Effect.zipRight(removeTemporary, attempt("fsync", dirname(path), () => fsyncDirectory(dirname(path)))).pipe(
        Effect.tapError(() => withdrawLinked(path, temporary.file.node))
      )
      return Option.some(temporary.file)
    })

  /** Unlinks `path` if it still names `node`, the file just linked there; a failure is only a warning. */
  const withdrawLinked = (path: string, node: FileNode) =>
    attempt("remove", path, () => removeIfSame(path, node)).pipe(
      Effect.catchAll((error) => Effect.logWarning(`could not remove the new pidfile after the failure: ${error.message}`))
    )

  const publish = (path: string, content: string, { durable = true }: { readonly durable?: boolean } = {}) =>
    Effect.gen(function*() {
      const temporary = yield* writeTemporary(path, content, durable)
      yield* attempt("rename", path, () => fs.renameSync(temporary.path, path))
      if (durable) yield* attempt("fsync", dirname(path), () => fsyncDirectory(dirname(path)))
      return temporary.file
    })

  /** Removes one temporary if it is abandoned; true when it did. */
  const removeIfAbandoned = (path: string, held: FileNode) =>
    Effect.gen(function*() {
      const opened = yield* open(path).pipe(Effect.catchTag("PidfileInvalid", () => Effect.succeed(Option.none<OpenFile>())))
      if (Option.isNone(opened)) return false
      const file = opened.value
      const abandoned = sameNode(file.node, held) || (yield* tryLock(file, path))
      const current = yield* attempt("lstat", path, () => nodeAtSync(path))
      if (!abandoned || current === undefined || !sameNode(current, file.node)) return false
      yield* attempt("remove", path, () => unlinkIfPresent(path))
      return true
    }).pipe(Effect.scoped)

  const removeAbandonedTemporaries = (path: string, held: FileNode) =>
    Effect.gen(function*() {
      const directory = dirname(path)
      const names = yield* attempt("list", directory, () => fs.readdirSync(directory))
      const removed: Array<string> = []
      for (const name of names.filter((name) => isTemporaryOf(basename(path), name))) {
        if (yield* removeIfAbandoned(join(directory, name), held)) removed.push(name)
      }
      return removed
    })

  return PidfileFiles.of({
    makeDirectory: (directory) => attempt("create directory", directory, () => makeDirectories(directory)),
    open,
    tryLock: (file) => tryLock(file, `fd ${file.fd}`),
    nodeAt: (path) => attempt("lstat", path, () => Option.fromNullable(nodeAtSync(path))),
    read,
    create,
    publish,
    removeAbandonedTemporaries,
    remove: (path, node) => attempt("remove", path, () => removeIfSame(path, node))
  })
})

export const layer: Layer.Layer<PidfileFiles, never, Libc> = Layer.effect(PidfileFiles, make)
