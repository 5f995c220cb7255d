/**
 * Pidfile operations on the real file system. Node's `fs` gives O_NOFOLLOW
 * opens and fsync of a directory; flock comes from libc. Directory creation
 * goes through @effect/platform's FileSystem.
 *
 * Modelled on FreeBSD's flopen(3)/pidfile(3): every syscall failure is
 * either a precise `PidfileInvalid` or a `SystemError` naming the path.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Effect, Layer, Option } from "effect"
import * as fs from "node:fs"
import { basename, dirname, join } from "node:path"
import { randomBytes } from "node:crypto"
import { PidfileInvalid, type SystemError, systemError } from "../errors.js"
import { Libc } from "../native/Libc.js"
import { type OpenFile, PidfileFiles } from "./PidfileFiles.js"

const { O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR } = fs.constants

/** More than any pidfile sipid would accept; a larger file is invalid whatever follows. */
const readLimit = 4096

const describeNonRegular = (stats: fs.Stats): string =>
  stats.isDirectory()
    ? "is a directory, not a pidfile"
    : stats.isFIFO()
    ? "is a FIFO, not a regular file"
    : stats.isSocket()
    ? "is a socket, not a regular file"
    : "is a device, not a regular file"

const openFile = (fd: number, stats: fs.Stats): OpenFile => ({
  fd,
  node: { dev: stats.dev, ino: stats.ino },
  uid: stats.uid,
  mode: stats.mode
})

const fsyncDirectory = (directory: string) => {
  const fd = fs.openSync(directory, O_RDONLY | O_DIRECTORY)
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

export const make = Effect.gen(function*() {
  const platformFs = yield* FileSystem.FileSystem
  const libc = yield* Libc

  const tryLock = (file: OpenFile, path: string) =>
    libc.tryLockExclusive(file.fd).pipe(Effect.mapError((error) => systemError("flock", path, error)))

  // A pidfile is created only to be locked: without flock, creating it would leave an empty file.
  const open = (path: string, options: { readonly create: boolean }) =>
    Effect.zipRight(options.create ? libc.load : Effect.void, openNow(path, options))

  const openNow = (path: string, options: { readonly create: boolean }) =>
    Effect.suspend((): Effect.Effect<Option.Option<OpenFile>, PidfileInvalid | SystemError> => {
      let fd: number
      try {
        // O_NONBLOCK: opening a FIFO must not hang waiting for a writer.
        const flags = options.create ? O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK : O_RDONLY | O_NOFOLLOW | O_NONBLOCK
        fd = fs.openSync(path, flags, 0o644)
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code
        if (code === "ENOENT" && !options.create) return Effect.succeed(Option.none<OpenFile>())
        if (code === "ELOOP") return Effect.fail(new PidfileInvalid({ path, reason: "is a symbolic link; sipid never follows one" }))
        if (code === "EISDIR") return Effect.fail(new PidfileInvalid({ path, reason: "is a directory, not a pidfile" }))
        if (code === "ENXIO") return Effect.fail(new PidfileInvalid({ path, reason: "is a socket or FIFO, not a regular file" }))
        return Effect.fail(systemError("open", path, cause))
      }
      const stats = fs.fstatSync(fd)
      if (!stats.isFile()) {
        fs.closeSync(fd)
        return Effect.fail(new PidfileInvalid({ path, reason: describeNonRegular(stats) }))
      }
      return Effect.succeed(Option.some(openFile(fd, stats)))
    })

  const publish = (path: string, content: string, { durable = true }: { readonly durable?: boolean } = {}) =>
    Effect.acquireRelease(
      Effect.try({
        try: () => {
          const directory = dirname(path)
          const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`)
          const fd = fs.openSync(temporary, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644)
          try {
            fs.fchmodSync(fd, 0o644) // the umask must not decide who can read a pidfile
            fs.writeSync(fd, content)
            if (durable) fs.fsyncSync(fd)
            return { fd, temporary, directory }
          } catch (cause) {
            fs.closeSync(fd)
            fs.rmSync(temporary, { force: true })
            throw cause
          }
        },
        catch: (cause) => systemError("write", path, cause)
      }).pipe(
        Effect.flatMap(({ directory, fd, temporary }) => {
          const file = openFile(fd, fs.fstatSync(fd))
          const discard = Effect.sync(() => {
            fs.closeSync(fd)
            fs.rmSync(temporary, { force: true })
          })
          // Lock before the rename makes the file visible: a claimer that opens
          // the new inode must find it locked.
          return tryLock(file, path).pipe(
            Effect.filterOrFail((locked) => locked, () => systemError("flock", temporary, new Error("new file already locked"))),
            Effect.flatMap(() =>
              Effect.try({
                try: () => {
                  fs.renameSync(temporary, path)
                  if (durable) fsyncDirectory(directory)
                  return file
                },
                catch: (cause) => systemError("rename", path, cause)
              })
            ),
            Effect.tapError(() => discard)
          )
        })
      ),
      (file) => Effect.sync(() => fs.closeSync(file.fd))
    )

  return PidfileFiles.of({
    makeDirectory: (directory) =>
      platformFs.makeDirectory(directory, { recursive: true }).pipe(
        Effect.mapError((error) => systemError("create directory", directory, error.cause ?? error))
      ),
    open,
    tryLock: (file) => tryLock(file, `fd ${file.fd}`),
    close: (file) => Effect.sync(() => fs.closeSync(file.fd)),
    nodeAt: (path) =>
      Effect.try({
        try: () => {
          const stats = fs.lstatSync(path, { throwIfNoEntry: false })
          return stats === undefined ? Option.none() : Option.some({ dev: stats.dev, ino: stats.ino })
        },
        catch: (cause) => systemError("lstat", path, cause)
      }),
    read: (file) =>
      Effect.try({
        try: () => {
          const buffer = Buffer.alloc(readLimit)
          const length = fs.readSync(file.fd, buffer, 0, readLimit, 0)
          return buffer.toString("utf8", 0, length)
        },
        catch: (cause) => systemError("read", `fd ${file.fd}`, cause)
      }),
    publish,
    remove: (path) =>
      Effect.try({
        try: () => fs.unlinkSync(path),
        catch: (cause) => systemError("remove", path, cause)
      }).pipe(Effect.catchIf((error) => error.code === "ENOENT", () => Effect.void))
  })
})

export const layer: Layer.Layer<PidfileFiles, never, FileSystem.FileSystem | Libc> = Layer.effect(PidfileFiles, make)
