/**
 * Pidfile operations on the real file system with Node's `fs` (O_NOFOLLOW
 * opens, link(2), fsync of a directory) and flock from libc. Each operation
 * first reaches the pidfile's directory one name at a time and holds it
 * (`pinDirectory`), refusing a symbolic link on the way that another user
 * may have placed, then acts on the pidfile's name inside it.
 *
 * Modelled on FreeBSD's flopen(3)/pidfile(3): every syscall failure is
 * either a precise `PidfileInvalid` or an `OsError` naming the path.
 */
import { Effect, Layer, Option, Scope } from "effect"
import * as fs from "node:fs"
import { basename, dirname, join } from "node:path"
import { randomBytes } from "node:crypto"
import { OsError, OsSubject } from "../os/OsError.js"
import { osError } from "../os/errno.js"
import { PidfileInvalid, PidfileProblem } from "./errors.js"
import { Libc } from "../native/Libc.js"
import {
  attempt,
  codeOf,
  fsyncDirectory,
  isMissing,
  nonRegular,
  nodeAtSync,
  openFile,
  removeIfSame,
  unlinkIfPresent,
  writeContent
} from "./liveCalls.js"
import { type FileNode, isTemporaryOf, type OpenFile, PidfileFiles, sameNode, temporaryIdLength, temporaryName } from "./PidfileFiles.js"
import { type PinnedDirectory, pinDirectory } from "./pinnedDirectory.js"

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR } = fs.constants

/** How often a new temporary may be taken from under us (see `lockedTemporary`) before giving up. */
const maxTemporaryAttempts = 5

/**
 * How link(2) says the file system has no hard links: vfat EPERM, FUSE
 * file systems ENOSYS or ENOTSUP (which is EOPNOTSUPP on Linux, as Node
 * names it), a union of two file systems EXDEV.
 */
const noHardLinks = new Set(["EPERM", "ENOTSUP", "ENOSYS", "EXDEV"])

interface Temporary {
  /** Its path, for messages. */
  readonly path: string
  /** Its name in the pinned directory, for calls. */
  readonly entry: string
  readonly file: OpenFile
}

export const make = Effect.gen(function*() {
  const libc = yield* Libc
  // Whose symbolic links may be followed on the way, besides root's (trust.ts).
  const callerUid = process.geteuid?.() ?? -1

  const tryLock = (file: OpenFile, path: string) =>
    libc.tryLockExclusive(file.fd).pipe(Effect.mapError((error) => osError("flock", path, error)))

  /**
   * `directory`, held until the scope closes. A failure is the refusal of a
   * symbolic link on the way, or an `OsError` of `operation` on `reportAs`.
   */
  const pinned = (operation: string, directory: string, reportAs: string, create = false) =>
    Effect.acquireRelease(
      Effect.try({
        try: () => pinDirectory(directory, { reportAs, callerUid, create }),
        catch: (cause) => cause instanceof PidfileInvalid ? cause : osError(operation, reportAs, cause)
      }),
      (directory) => Effect.sync(directory.close)
    )

  /** `run` on the name of `path` inside its held directory. */
  const inDirectory = <A, E>(
    operation: string,
    path: string,
    run: (directory: PinnedDirectory, name: string) => Effect.Effect<A, E, Scope.Scope>
  ): Effect.Effect<A, E | PidfileInvalid | OsError, Scope.Scope> =>
    Effect.flatMap(pinned(operation, dirname(path), path), (directory) => run(directory, basename(path)))

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
  const lockedTemporary = (
    directory: PinnedDirectory,
    target: string
  ): Effect.Effect<Temporary & { readonly close: () => void }, OsError, Scope.Scope> =>
    Effect.gen(function*() {
      for (let attempts = 1; attempts <= maxTemporaryAttempts; attempts++) {
        const name = temporaryName(basename(target), randomBytes(temporaryIdLength / 2).toString("hex"))
        const [path, entry] = [join(dirname(target), name), directory.entry(name)]
        const fd = yield* attempt("create", target, () => fs.openSync(entry, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644))
        const close = closeOnce(fd)
        const file = openFile(fd, fs.fstatSync(fd))
        // Best effort: a name left on a failing disk is a leftover the next claim removes. Effect.try,
        // not sync: a throw inside sync is a defect, which ignore would let through.
        yield* Effect.addFinalizer(() => Effect.try(() => (close(), unlinkIfPresent(entry))).pipe(Effect.ignore))
        const locked = yield* tryLock(file, path)
        const current = nodeAtSync(entry)
        if (locked && current !== undefined && sameNode(current, file.node)) return { path, entry, file, close }
        close()
      }
      return yield* new OsError({
        operation: "create",
        subject: OsSubject.File({ path: target }),
        code: "EAGAIN",
        detail: `${maxTemporaryAttempts} temporary files were taken away while being created`
      })
    })

  /** Writes `content` into a fresh temporary, fsynced when `durable`. */
  const writeTemporary = (directory: PinnedDirectory, target: string, content: string, durable: boolean) =>
    Effect.flatMap(lockedTemporary(directory, target), (temporary) =>
      attempt("write", target, () => (writeContent(temporary.file.fd, content, durable), temporary)))

  /** Opens `name` in `directory` (`path` for messages) without following a symlink; closed by the caller. */
  const openUnscoped = (directory: PinnedDirectory, name: string, path: string) =>
    Effect.suspend((): Effect.Effect<Option.Option<OpenFile>, PidfileInvalid | OsError> => {
      let fd: number
      try {
        // O_NONBLOCK: opening a FIFO must not hang waiting for a writer. A
        // directory opens read-only; fstat below tells it apart.
        fd = fs.openSync(directory.entry(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
      } catch (cause) {
        const code = codeOf(cause)
        if (code === "ENOENT") return Effect.succeed(Option.none<OpenFile>())
        if (code === "ELOOP") return Effect.fail(new PidfileInvalid({ path, problem: PidfileProblem.Symlink() }))
        // ENXIO: a socket, or a device without a driver; say which.
        // Stryker disable next-line ObjectLiteral,BooleanLiteral: they matter only if the entry the open just refused is removed before this lstat
        const stats = code === "ENXIO" ? fs.lstatSync(directory.entry(name), { throwIfNoEntry: false }) : undefined
        if (stats !== undefined) return Effect.fail(new PidfileInvalid({ path, problem: nonRegular(stats) }))
        return Effect.fail(osError("open", path, cause))
      }
      const stats = fs.fstatSync(fd)
      if (!stats.isFile()) {
        fs.closeSync(fd)
        return Effect.fail(new PidfileInvalid({ path, problem: nonRegular(stats) }))
      }
      return Effect.succeed(Option.some(openFile(fd, stats)))
    })

  const openIn = (directory: PinnedDirectory, name: string, path: string) =>
    Effect.acquireRelease(openUnscoped(directory, name, path), (file) => Effect.sync(() => Option.map(file, ({ fd }) => fs.closeSync(fd))))

  // The directory is let go once the file is open: the descriptor holds the file itself.
  const open = (path: string) =>
    Effect.flatMap(Effect.scope, (outer) =>
      Effect.scoped(inDirectory("open", path, (directory, name) => openIn(directory, name, path).pipe(Scope.extend(outer))))).pipe(
        Effect.catchIf(isMissing, () => Effect.succeed(Option.none<OpenFile>()))
      )

  const read = (file: OpenFile, maxBytes: number) =>
    attempt("read", `fd ${file.fd}`, () => {
      // One byte more than allowed tells a file at the limit from a longer one.
      const buffer = Buffer.alloc(maxBytes + 1)
      let length = 0
      // Equivalent mutants, not disabled (got === 0 and >= are killable): length < buffer.length → <= or true; a full buffer
      // asks for 0 bytes, and the 0 that readSync returns ends the loop.
      // Stryker disable next-line UnaryOperator: any non-zero start enters the loop
      for (let got = -1; got !== 0 && length < buffer.length;) {
        got = fs.readSync(file.fd, buffer, length, buffer.length - length, length)
        length += got
      }
      return length > maxBytes ? Option.none() : Option.some(buffer.toString("utf8", 0, length))
    })

  const create = (path: string, content: string) =>
    inDirectory("create", path, (directory, name) =>
      Effect.gen(function*() {
        const temporary = yield* writeTemporary(directory, path, content, true)
        // link(2), unlike rename(2), never replaces: EEXIST means another claim got there first.
        const linked = yield* attempt("link", path, () => {
          try {
            fs.linkSync(temporary.entry, directory.entry(name))
            return "Linked"
          } catch (cause) {
            const code = codeOf(cause) ?? ""
            if (code === "EEXIST" || noHardLinks.has(code)) return code
            throw cause
          }
        })
        const removeTemporary = attempt("remove", temporary.path, () => unlinkIfPresent(temporary.entry))
        if (linked !== "Linked") {
          yield* removeTemporary
          temporary.close()
          return linked === "EEXIST" ? Option.none() : yield* createInPlace(directory, name, path, content, linked)
        }
        // A create that fails after the link takes its pidfile back: a failed claim leaves nothing.
        yield* Effect.zipRight(removeTemporary, fsyncDirectory(directory, dirname(path))).pipe(
          Effect.tapError(() => withdraw(directory.entry(name), path, temporary.file.node))
        )
        return Option.some(temporary.file)
      }))

  /**
   * `create` on a file system that refuses hard links (`noHardLinks`): the
   * pidfile itself is created, O_EXCL so that it still never replaces
   * anything, locked at once, then written and fsynced under its lock. What
   * that gives up: until the write, a reader that does not lock (monit) may
   * see it empty (and take the job for stopped); a claim killed in that
   * instant leaves it empty (the next claim finds it stale); another claim
   * may lock it before this one does, which then lost the race to create it.
   */
  const createInPlace = (directory: PinnedDirectory, name: string, path: string, content: string, refusal: string) =>
    Effect.gen(function*() {
      yield* Effect.logWarning(
        `${dirname(path)}: the file system refuses hard links (link: ${refusal}); creating the pidfile in place (O_EXCL), so a reader may see it empty for an instant`
      )
      const entry = directory.entry(name)
      const fd = yield* attempt("create", path, () => {
        try {
          return fs.openSync(entry, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644)
        } catch (cause) {
          if (codeOf(cause) === "EEXIST") return undefined
          throw cause
        }
      })
      if (fd === undefined) return Option.none<OpenFile>()
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.closeSync(fd)))
      const file = openFile(fd, fs.fstatSync(fd))
      if (!(yield* tryLock(file, path))) return Option.none<OpenFile>()
      yield* Effect.zipRight(attempt("write", path, () => writeContent(fd, content, true)), fsyncDirectory(directory, dirname(path))).pipe(
        Effect.tapError(() => withdraw(entry, path, file.node))
      )
      return Option.some(file)
    })

  /** Unlinks `entry` (`path`) if it still names `node`, the file just made there; a failure is only a warning. */
  const withdraw = (entry: string, path: string, node: FileNode) =>
    attempt("remove", path, () => removeIfSame(entry, node)).pipe(
      Effect.catchAll((error) => Effect.logWarning(`could not remove the new pidfile after the failure: ${error.message}`))
    )

  const publish = (path: string, content: string, { durable = true }: { readonly durable?: boolean } = {}) =>
    inDirectory("create", path, (directory, name) =>
      Effect.gen(function*() {
        const temporary = yield* writeTemporary(directory, path, content, durable)
        yield* attempt("rename", path, () => fs.renameSync(temporary.entry, directory.entry(name)))
        if (durable) yield* fsyncDirectory(directory, dirname(path))
        return temporary.file
      }))

  /** Removes the temporary `name` in `directory` (at `path`) if it is abandoned; true when it did. */
  const removeIfAbandoned = (directory: PinnedDirectory, name: string, path: string, held: FileNode) =>
    Effect.gen(function*() {
      const opened = yield* openIn(directory, name, path).pipe(Effect.catchTag("PidfileInvalid", () => Effect.succeed(Option.none<OpenFile>())))
      if (Option.isNone(opened)) return false
      const file = opened.value
      const abandoned = sameNode(file.node, held) || (yield* tryLock(file, path))
      const current = yield* attempt("lstat", path, () => nodeAtSync(directory.entry(name)))
      if (!abandoned || current === undefined || !sameNode(current, file.node)) return false
      yield* attempt("remove", path, () => unlinkIfPresent(directory.entry(name)))
      return true
    }).pipe(Effect.scoped)

  const removeAbandonedTemporaries = (path: string, held: FileNode) =>
    Effect.gen(function*() {
      const directory = yield* pinned("list", dirname(path), dirname(path))
      const names = yield* attempt("list", dirname(path), () => fs.readdirSync(directory.self))
      const removed: Array<string> = []
      for (const name of names.filter((name) => isTemporaryOf(basename(path), name))) {
        if (yield* removeIfAbandoned(directory, name, join(dirname(path), name), held)) removed.push(name)
      }
      return removed
    }).pipe(Effect.scoped)

  return PidfileFiles.of({
    makeDirectory: (directory) => Effect.scoped(Effect.asVoid(pinned("create directory", directory, directory, true))),
    open,
    tryLock: (file) => tryLock(file, `fd ${file.fd}`),
    nodeAt: (path) =>
      Effect.scoped(inDirectory("lstat", path, (directory, name) => attempt("lstat", path, () => Option.fromNullable(nodeAtSync(directory.entry(name)))))).pipe(
        Effect.catchIf(isMissing, () => Effect.succeed(Option.none()))
      ),
    read,
    create,
    publish,
    removeAbandonedTemporaries,
    remove: (path, node) =>
      Effect.scoped(inDirectory("remove", path, (directory, name) => attempt("remove", path, () => removeIfSame(directory.entry(name), node)))).pipe(
        Effect.catchIf(isMissing, () => Effect.succeed(false))
      )
  })
})

export const layer: Layer.Layer<PidfileFiles, never, Libc> = Layer.effect(PidfileFiles, make)
