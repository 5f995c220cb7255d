/**
 * What only the live `PidfileFiles` does (the contract suite holds both
 * layers to the rest): directories, devices, and the temporaries' race with
 * another claim's clean-up, played by a `Libc` whose flock interferes. Real
 * files in a temporary directory, on the live clock.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, Option, type Scope } from "effect"
import * as fs from "node:fs"
import { createRequire, syncBuiltinESMExports } from "node:module"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import { Libc, LibcLive } from "../../src/native/Libc.js"
import type { OsError } from "../../src/os/OsError.js"
import { PidfileFiles } from "../../src/pidfile/PidfileFiles.js"
import * as PidfileFilesLive from "../../src/pidfile/PidfileFilesLive.js"

const directory = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(join(tmpdir(), "sipid-files-"))),
  (path) => Effect.sync(() => fs.rmSync(path, { recursive: true, force: true }))
)

/**
 * The live layer; with `interfere`, each flock first runs `beforeLock` on the
 * locked file's path, then answers `locks` (for that path, if a function).
 */
const liveFiles = (interfere?: { readonly beforeLock: (path: string) => void; readonly locks: boolean | ((path: string) => boolean) }) =>
  PidfileFilesLive.layer.pipe(Layer.provide(
    interfere === undefined ? LibcLive : Layer.effect(
      Libc,
      Effect.map(Libc, (libc) => ({
        ...libc,
        tryLockExclusive: (fd: number) =>
          Effect.flatMap(libc.tryLockExclusive(fd), (locked) =>
            Effect.sync(() => {
              const path = fs.readlinkSync(`/proc/self/fd/${fd}`)
              interfere.beforeLock(path)
              return locked && (typeof interfere.locks === "function" ? interfere.locks(path) : interfere.locks)
            }))
      }))
    ).pipe(Layer.provide(LibcLive))
  ))

const inDirectory = <A, E>(body: (dir: string) => Effect.Effect<A, E, PidfileFiles | Scope.Scope>, files = liveFiles()) =>
  Effect.flatMap(directory, (dir) => body(dir).pipe(Effect.provide(files)))

describe("PidfileFilesLive", () => {
  it.scoped("makeDirectory creates missing parents, accepts an existing directory, and refuses a file in the way", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const files = yield* PidfileFiles
        yield* files.makeDirectory(join(dir, "a/b/c"))
        yield* files.makeDirectory(join(dir, "a/b/c"))
        expect(fs.statSync(join(dir, "a/b/c")).isDirectory()).toBe(true)
        fs.writeFileSync(join(dir, "file"), "")
        expect(yield* Effect.flip(files.makeDirectory(join(dir, "file")))).toMatchObject({ _tag: "OsError", code: "EEXIST" })
        expect(yield* Effect.flip(files.makeDirectory(join(dir, "file/below")))).toMatchObject({ _tag: "OsError", code: "ENOTDIR" })
      })
    ))

  it.scoped("a relative path is walked from the working directory, and a link on it judged like any other", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const files = yield* PidfileFiles
        fs.mkdirSync(join(dir, "rootjob"))
        fs.writeFileSync(join(dir, "rootjob/job.pid"), "7\n")
        fs.symlinkSync("rootjob", join(dir, "alias"))
        fs.symlinkSync("rootjob", join(dir, "planted"))
        fs.lchownSync(join(dir, "planted"), 65534, 65534)
        const cwd = process.cwd()
        yield* Effect.acquireRelease(Effect.sync(() => process.chdir(dir)), () => Effect.sync(() => process.chdir(cwd)))
        expect(yield* files.read(Option.getOrThrow(yield* files.open("alias/job.pid")), 128)).toEqual(Option.some("7\n"))
        expect(yield* Effect.flip(files.open("planted/job.pid"))).toMatchObject({
          _tag: "PidfileInvalid",
          path: "planted/job.pid",
          reason: expect.stringMatching(/^its path goes through the symbolic link planted -> rootjob, and uid 65534 owns it/)
        })
      })
    ))

  it.scoped("open names a device as a device", () =>
    inDirectory(() =>
      Effect.gen(function*() {
        const error = yield* Effect.flip((yield* PidfileFiles).open("/dev/null"))
        expect(error).toMatchObject({ _tag: "PidfileInvalid", reason: "is a device, not a regular file" })
      })
    ))

  it.scoped("open reports any other failure as a system error naming the code", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip((yield* PidfileFiles).open(join(dir, "x".repeat(300))))
        expect(error).toMatchObject({ _tag: "OsError", operation: "open", code: "ENAMETOOLONG" })
      })
    ))

  const takenAway = [
    ["removed", (path: string) => fs.unlinkSync(path)],
    ["replaced by another file", (path: string) => (fs.unlinkSync(path), fs.writeFileSync(path, ""))]
  ] as const
  /** Another process does `takeAway` to the first file flocked, just before the flock; `interfered` says whether it did. */
  const interferingOnce = (takeAway: (path: string) => void) => {
    let interfered = false
    const layer = liveFiles({
      beforeLock: (path) => {
        if (!interfered) takeAway(path)
        interfered = true
      },
      locks: true
    })
    return { layer, interfered: () => interfered }
  }

  it.scoped.each(takenAway)("a leftover temporary %s between the clean-up's open and flock is not removed", ([kind, takeAway]) =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const leftover = join(dir, `.job.pid.${"a".repeat(12)}.tmp`)
        fs.writeFileSync(leftover, "")
        expect(yield* (yield* PidfileFiles).removeAbandonedTemporaries(join(dir, "job.pid"), { dev: 0, ino: 0 })).toEqual([])
        expect(fs.existsSync(leftover)).toBe(kind !== "removed")
      }), interferingOnce(takeAway).layer))

  it.scoped.each(takenAway)("a temporary %s by another claim's clean-up before its flock is given up for a new one", ([, takeAway]) => {
    const { interfered, layer } = interferingOnce(takeAway)
    return inDirectory((dir) =>
      Effect.gen(function*() {
        const path = join(dir, "job.pid")
        expect(Option.isSome(yield* (yield* PidfileFiles).create(path, "4242\n"))).toBe(true)
        expect(fs.readFileSync(path, "utf8")).toBe("4242\n")
        expect(interfered()).toBe(true)
      }), layer)
  })

  it.scoped("gives up, leaving no temporary, when every new temporary is taken away", () => {
    const temporaries: Array<string> = []
    return inDirectory((dir) =>
      Effect.gen(function*() {
        const path = join(dir, "job.pid")
        const error = yield* Effect.flip(Effect.scoped((yield* PidfileFiles).create(path, "4242\n")))
        expect(error.message).toBe(`${path}: create failed: 5 temporary files were taken away while being created`)
        expect(error).toMatchObject({ code: "EAGAIN" })
        expect(fs.readdirSync(dir)).toEqual([])
        // Five temporaries, each named as removeAbandonedTemporaries recognises a leftover.
        expect(temporaries).toHaveLength(5)
        for (const temporary of temporaries) expect(basename(temporary)).toMatch(/^\.job\.pid\.[0-9a-f]{12}\.tmp$/)
      }), liveFiles({ beforeLock: (path) => temporaries.push(path), locks: false }))
  })

  /** Node's fs as the live layer sees it, with `name` replaced for the scope (a dying disk, another program at work). */
  const patchFs = <K extends "fsyncSync" | "linkSync" | "unlinkSync" | "lstatSync" | "openSync">(name: K, replace: (original: typeof fs[K]) => typeof fs[K]) => {
    const nodeFs: typeof fs = createRequire(import.meta.url)("node:fs")
    const original = nodeFs[name]
    return Effect.acquireRelease(
      Effect.sync(() => {
        nodeFs[name] = replace(original)
        syncBuiltinESMExports()
      }),
      () => Effect.sync(() => (nodeFs[name] = original, syncBuiltinESMExports()))
    )
  }
  const eio = (call: string) => Object.assign(new Error(`EIO: i/o error, ${call}`), { code: "EIO" })
  /** fsync fails with EIO for a directory (`"directory"`) or a regular file (`"file"`); `meanwhile` runs first. */
  const fsyncFails = (kind: "directory" | "file", meanwhile: () => void = () => undefined) =>
    patchFs("fsyncSync", (fsync) => (fd) => {
      if (fs.fstatSync(fd).isDirectory() === (kind === "directory")) {
        meanwhile()
        throw eio("fsync")
      }
      fsync(fd)
    })

  it.scoped("a create whose directory fsync fails after the link takes the new pidfile back", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const path = join(dir, "job.pid")
        yield* fsyncFails("directory")
        const error = yield* Effect.flip(Effect.scoped((yield* PidfileFiles).create(path, "4242\n")))
        expect(error).toMatchObject({ _tag: "OsError", operation: "fsync", code: "EIO" })
        expect(fs.readdirSync(dir)).toEqual([])
      })
    ))

  it.scoped("a directory that may only be written and searched (mode 0300) is not fsynced: create and publish succeed, with a warning", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const files = yield* PidfileFiles
        const path = join(dir, "job.pid")
        const warnings: Array<string> = []
        const O_PATH = 0o10000000
        // Opening a directory to read it (not to hold it, O_PATH) is what mode 0300 refuses its owner.
        yield* patchFs("openSync", (open) => ((target, flags, mode) => {
          if (typeof flags === "number" && (flags & fs.constants.O_DIRECTORY) !== 0 && (flags & O_PATH) === 0) {
            throw Object.assign(new Error(`EACCES: permission denied, open '${target}'`), { code: "EACCES" })
          }
          return open(target, flags, mode)
        }) as typeof fs.openSync)
        const logged = Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => warnings.push([message].flat().join(" ")))))
        expect(Option.isSome(yield* Effect.scoped(files.create(path, "4242\n")).pipe(logged))).toBe(true)
        yield* Effect.scoped(files.publish(path, "4243\n")).pipe(logged)
        expect(fs.readFileSync(path, "utf8")).toBe("4243\n")
        expect(fs.readdirSync(dir)).toEqual(["job.pid"])
        const warning = `${dir}: not fsynced, as it may not be read (EACCES): the change is made, but a crash soon after may undo it`
        expect(warnings).toEqual([warning, warning])
      })
    ))

  it.scoped("a create that fails after the link leaves alone a pidfile another program put there meanwhile", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const path = join(dir, "job.pid")
        yield* fsyncFails("directory", () => (fs.unlinkSync(path), fs.writeFileSync(path, "5151\n")))
        const error = yield* Effect.flip(Effect.scoped((yield* PidfileFiles).create(path, "4242\n")))
        expect(error).toMatchObject({ _tag: "OsError", operation: "fsync", code: "EIO" })
        expect(fs.readdirSync(dir)).toEqual(["job.pid"])
        expect(fs.readFileSync(path, "utf8")).toBe("5151\n")
      })
    ))

  it.scoped("a create that fails after the link, whose pidfile another program removed meanwhile, has nothing to take back and warns of nothing", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const path = join(dir, "job.pid")
        const warnings: Array<unknown> = []
        yield* fsyncFails("directory", () => fs.unlinkSync(path))
        const error = yield* Effect.flip(Effect.scoped((yield* PidfileFiles).create(path, "4242\n"))).pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => warnings.push(message))))
        )
        expect(error).toMatchObject({ operation: "fsync", code: "EIO" })
        expect(warnings).toEqual([])
        expect(fs.readdirSync(dir)).toEqual([])
      })
    ))

  it.scoped("unlink failing (a dying disk): create says which name it could not remove and warns that the new pidfile stays", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const path = join(dir, "job.pid")
        const warnings: Array<string> = []
        yield* patchFs("unlinkSync", () => () => {
          throw eio("unlink")
        })
        const error = yield* Effect.flip(Effect.scoped((yield* PidfileFiles).create(path, "4242\n"))).pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => warnings.push([message].flat().join(" ")))))
        )
        expect(error).toMatchObject({ _tag: "OsError", operation: "remove", code: "EIO" })
        expect(basename(((error as OsError).subject as { path: string }).path)).toMatch(/^\.job\.pid\.[0-9a-f]{12}\.tmp$/)
        expect(warnings).toEqual([`could not remove the new pidfile after the failure: ${path}: remove failed: EIO (i/o error)`])
      })
    ))

  it.scoped("unlink failing: a leftover that cannot be removed, and a temporary that cannot be once the pidfile was there (EEXIST), are remove errors", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const files = yield* PidfileFiles
        const path = join(dir, "job.pid")
        const leftover = join(dir, `.job.pid.${"b".repeat(12)}.tmp`)
        fs.writeFileSync(path, "5151\n")
        fs.writeFileSync(leftover, "")
        yield* patchFs("unlinkSync", () => () => {
          throw eio("unlink")
        })
        expect(yield* Effect.flip(files.removeAbandonedTemporaries(path, { dev: 0, ino: 0 }))).toMatchObject({
          operation: "remove",
          subject: { path: leftover },
          code: "EIO"
        })
        expect(yield* Effect.flip(Effect.scoped(files.create(path, "4242\n")))).toMatchObject({ operation: "remove", code: "EIO" })
      })
    ))

  it.scoped("lstat failing while a leftover is judged is a system error naming lstat and the leftover", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const leftover = join(dir, `.job.pid.${"c".repeat(12)}.tmp`)
        fs.writeFileSync(leftover, "")
        yield* patchFs("lstatSync", () => () => {
          throw eio("lstat")
        })
        const error = yield* Effect.flip((yield* PidfileFiles).removeAbandonedTemporaries(join(dir, "job.pid"), { dev: 0, ino: 0 }))
        expect(error).toMatchObject({ _tag: "OsError", operation: "lstat", subject: { path: leftover }, code: "EIO" })
      })
    ))

  it.scoped("create and a durable publish fsync the new file: a failed fsync is a failed write, and nothing appears", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const files = yield* PidfileFiles
        const path = join(dir, "job.pid")
        yield* fsyncFails("file")
        expect(yield* Effect.flip(Effect.scoped(files.create(path, "4242\n")))).toMatchObject({ operation: "write", code: "EIO" })
        expect(yield* Effect.flip(Effect.scoped(files.publish(path, "4242\n")))).toMatchObject({ operation: "write", code: "EIO" })
        expect(fs.readdirSync(dir)).toEqual([])
        yield* Effect.scoped(files.publish(path, "4242\n", { durable: false }))
        expect(fs.readFileSync(path, "utf8")).toBe("4242\n")
      })
    ))

  it.scoped("a durable publish fsyncs the directory after the rename; one with durable: false does not", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const files = yield* PidfileFiles
        const path = join(dir, "job.pid")
        yield* fsyncFails("directory")
        yield* Effect.scoped(files.publish(path, "1\n", { durable: false }))
        const error = yield* Effect.flip(Effect.scoped(files.publish(path, "4242\n")))
        expect(error.message).toBe(`${dir}: fsync failed: EIO (i/o error)`)
      })
    ))

  it.scoped("a link that fails for another reason than EEXIST is a system error naming link, and leaves no temporary", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const path = join(dir, "job.pid")
        yield* patchFs("linkSync", () => () => {
          throw eio("link")
        })
        const error = yield* Effect.flip(Effect.scoped((yield* PidfileFiles).create(path, "4242\n")))
        expect(error).toMatchObject({ _tag: "OsError", operation: "link", subject: { path }, code: "EIO" })
        expect(fs.readdirSync(dir)).toEqual([])
      })
    ))

  /** link(2) fails with `code`, as on vfat or a FUSE file system; `meanwhile` runs first (another claim at work). */
  const noHardLinks = (code: string, meanwhile: () => void = () => undefined) =>
    patchFs("linkSync", () => () => {
      meanwhile()
      throw Object.assign(new Error(`${code}: link refused`), { code })
    })
  const logging = (lines: Array<string>) =>
    Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ logLevel, message }) => lines.push(`${logLevel.label} ${[message].flat().join(" ")}`))))

  it.scoped.each(["EPERM", "ENOTSUP", "ENOSYS", "EXDEV"])(
    "where link(2) fails with %s (no hard links), create makes the pidfile in place: its content, locked, mode 0644, no temporary, and a warning naming the fallback",
    (code) =>
      inDirectory((dir) =>
        Effect.gen(function*() {
          const files = yield* PidfileFiles
          const path = join(dir, "job.pid")
          const lines: Array<string> = []
          yield* noHardLinks(code)
          const created = Option.getOrThrow(yield* files.create(path, "4242\n").pipe(logging(lines)))
          expect(fs.readdirSync(dir)).toEqual(["job.pid"])
          expect(fs.readFileSync(path, "utf8")).toBe("4242\n")
          expect(Option.some(created.node)).toEqual(yield* files.nodeAt(path))
          expect(created.mode & 0o7777).toBe(0o644)
          expect(yield* files.tryLock(Option.getOrThrow(yield* files.open(path)))).toBe(false)
          expect(lines).toEqual([
            `WARN ${dir}: the file system refuses hard links (link: ${code}); creating the pidfile in place (O_EXCL), so a reader may see it empty for an instant`
          ])
        })
      )
  )

  it.scoped("without hard links, create still never replaces a pidfile another claim made meanwhile (None)", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const path = join(dir, "job.pid")
        yield* noHardLinks("EPERM", () => fs.writeFileSync(path, "5151\n"))
        expect(yield* (yield* PidfileFiles).create(path, "4242\n")).toEqual(Option.none())
        expect(fs.readdirSync(dir)).toEqual(["job.pid"])
        expect(fs.readFileSync(path, "utf8")).toBe("5151\n")
      })
    ))

  it.scoped("without hard links, a create whose pidfile another claim locks first leaves it to that claim (None)", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const path = join(dir, "job.pid")
        yield* noHardLinks("EPERM")
        expect(yield* (yield* PidfileFiles).create(path, "4242\n")).toEqual(Option.none())
        expect(fs.readdirSync(dir)).toEqual(["job.pid"])
      }), liveFiles({ beforeLock: () => undefined, locks: (path) => basename(path) !== "job.pid" })))

  it.scoped("without hard links, a write that fails after the create in place takes the pidfile back", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const path = join(dir, "job.pid")
        yield* noHardLinks("EPERM")
        yield* patchFs("fsyncSync", (fsync) => (fd) => {
          if (basename(fs.readlinkSync(`/proc/self/fd/${fd}`)) === "job.pid") throw eio("fsync")
          fsync(fd)
        })
        const error = yield* Effect.flip(Effect.scoped((yield* PidfileFiles).create(path, "4242\n")))
        expect(error).toMatchObject({ _tag: "OsError", operation: "write", subject: { path }, code: "EIO" })
        expect(fs.readdirSync(dir)).toEqual([])
      })
    ))

  it.scoped("makeDirectory reports a directory that cannot be made by the kernel's reason, not as missing", () =>
    inDirectory(() =>
      Effect.gen(function*() {
        // sysfs refuses mkdir (EPERM, or EROFS where it is mounted read-only).
        const error = yield* Effect.flip((yield* PidfileFiles).makeDirectory("/sys/sipid-unit-test/run"))
        expect(error).toMatchObject({ _tag: "OsError", operation: "create directory", subject: { path: "/sys/sipid-unit-test/run" } })
        expect(["EPERM", "EROFS", "EACCES"]).toContain((error as OsError).code)
      })
    ))

  it.scoped("create and publish leave no descriptor open once their scope closes", () =>
    inDirectory((dir) =>
      Effect.gen(function*() {
        const files = yield* PidfileFiles
        const openDescriptors = () => fs.readdirSync("/proc/self/fd").length
        const before = openDescriptors()
        yield* Effect.scoped(files.create(join(dir, "job.pid"), "4242\n"))
        yield* Effect.scoped(files.publish(join(dir, "job.pid"), "4243\n"))
        expect(openDescriptors()).toBe(before)
      })
    ))
})
