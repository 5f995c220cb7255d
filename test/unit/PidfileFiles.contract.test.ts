/**
 * One contract for `PidfileFiles`, run against the live layer (a real
 * temporary directory, real flock) and the simulated one, so the simulation
 * the program tests rely on cannot drift from the kernel.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Option, Scope } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { LibcLive } from "../../src/native/Libc.js"
import { type FileNode, PidfileFiles } from "../../src/pidfile/PidfileFiles.js"
import * as PidfileFilesLive from "../../src/pidfile/PidfileFilesLive.js"
import * as PidfileFilesTest from "../../src/pidfile/PidfileFilesTest.js"
import { SimulatedFiles } from "../../src/pidfile/PidfileFilesTest.js"

type Kind = "file" | "directory" | "symlink" | "fifo"

interface Owner {
  readonly uid?: number
  readonly mode?: number
}

/** What the other processes do to the directory, in either world. */
interface Fixture {
  readonly directory: string
  /** A symlink's `content` is its target. */
  readonly put: (name: string, kind: Kind, content?: string, owner?: Owner) => Effect.Effect<void>
  readonly link: (existing: string, name: string) => Effect.Effect<void>
  /** Every name below the directory, subdirectories' too, as relative paths. */
  readonly names: Effect.Effect<ReadonlyArray<string>>
  readonly content: (name: string) => Effect.Effect<Option.Option<string>>
}
class DirectoryFixture extends Context.Tag("test/DirectoryFixture")<DirectoryFixture, Fixture>() {}

const liveFixture = Layer.scoped(
  DirectoryFixture,
  Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(join(tmpdir(), "sipid-contract-"))),
    (directory) => Effect.sync(() => fs.rmSync(directory, { recursive: true, force: true }))
  ).pipe(Effect.map((directory): Fixture => ({
    directory,
    put: (name, kind, content, { mode, uid = 0 } = {}) =>
      Effect.sync(() => {
        const path = join(directory, name)
        if (kind === "file") fs.writeFileSync(path, content ?? "")
        else if (kind === "directory") fs.mkdirSync(path)
        else if (kind === "symlink") fs.symlinkSync(content ?? join(directory, "elsewhere"), path)
        else execFileSync("mkfifo", [path])
        // mkdir and open apply the umask; a test's mode is exact. A link has no mode of its own.
        const setMode = mode ?? (kind === "file" ? 0o644 : kind === "directory" ? 0o755 : undefined)
        if (setMode !== undefined) fs.chmodSync(path, setMode)
        fs.lchownSync(path, uid, uid)
      }),
    link: (existing, name) => Effect.sync(() => fs.linkSync(join(directory, existing), join(directory, name))),
    names: Effect.sync(() => fs.readdirSync(directory, { recursive: true }).map(String).sort()),
    content: (name) => Effect.sync(() => Option.fromNullable(fs.existsSync(join(directory, name)) ? fs.readFileSync(join(directory, name), "utf8") : undefined))
  })))
)

const simulatedDirectory = "/var/vcap/sys/run/job"
// `names` leaves out the directories makeDirectory made: the simulation does not list them.
const simulatedFixture = Layer.effect(
  DirectoryFixture,
  Effect.flatMap(SimulatedFiles, (simulated) =>
    Effect.as(simulated.put(simulatedDirectory, "directory"), {
      directory: simulatedDirectory,
      put: (name, kind, content, owner) => simulated.put(join(simulatedDirectory, name), kind, content, owner),
      link: (existing, name) => simulated.link(join(simulatedDirectory, existing), join(simulatedDirectory, name)),
      names: Effect.map(simulated.paths, (paths) =>
        paths.filter((path) => path.startsWith(`${simulatedDirectory}/`)).map((path) => path.slice(simulatedDirectory.length + 1))),
      content: (name) => simulated.content(join(simulatedDirectory, name))
    } satisfies Fixture))
)

const backends = [
  ["PidfileFilesLive", Layer.merge(PidfileFilesLive.layer.pipe(Layer.provide(LibcLive)), liveFixture)],
  ["PidfileFilesTest", simulatedFixture.pipe(Layer.provideMerge(PidfileFilesTest.layer))]
] as const

const setUp = Effect.all([PidfileFiles, DirectoryFixture])
const hex = (digit: string) => digit.repeat(12)

describe.each(backends)("the PidfileFiles contract: %s", (_, layer) => {
  const test = (name: string, body: () => Effect.Effect<void, unknown, PidfileFiles | DirectoryFixture | Scope.Scope>) =>
    it.scoped(name, () => body().pipe(Effect.provide(layer)))

  test("open: nothing at the path is None; a regular file opens with its node and mode", () =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      const path = join(fixture.directory, "job.pid")
      expect(yield* files.open(path)).toEqual(Option.none())
      yield* fixture.put("job.pid", "file", "123\n", { mode: 0o640 })
      const file = Option.getOrThrow(yield* files.open(path))
      expect(Option.some(file.node)).toEqual(yield* files.nodeAt(path))
      expect(file.mode & 0o7777).toBe(0o640)
      expect(yield* files.read(file, 128)).toEqual(Option.some("123\n"))
    }))

  it.scoped.each([["symlink", /symbolic link/], ["directory", /directory/], ["fifo", /fifo/i]] as const)(
    "open refuses a %s",
    ([kind, reason]) =>
      Effect.gen(function*() {
        const [files, fixture] = yield* setUp
        yield* fixture.put("job.pid", kind)
        const error = yield* Effect.flip(files.open(join(fixture.directory, "job.pid")))
        expect(error).toMatchObject({ _tag: "PidfileInvalid", reason: expect.stringMatching(reason) })
      }).pipe(Effect.provide(layer))
  )

  test("a lock excludes every other open file description until it is closed", () =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      yield* fixture.put("job.pid", "file", "123\n")
      const path = join(fixture.directory, "job.pid")
      const firstScope = yield* Scope.make()
      const first = Option.getOrThrow(yield* files.open(path).pipe(Scope.extend(firstScope)))
      const second = Option.getOrThrow(yield* files.open(path))
      expect(yield* files.tryLock(first)).toBe(true)
      expect(yield* files.tryLock(second)).toBe(false)
      expect(yield* files.tryLock(first)).toBe(true)
      yield* Effect.scoped(files.open(path))
      expect(yield* files.tryLock(second)).toBe(false)
      yield* Scope.close(firstScope, Exit.void)
      expect(yield* files.tryLock(second)).toBe(true)
    }))

  test("create: the file appears with its content, mode 0644, already locked, and no temporary stays", () =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      const path = join(fixture.directory, "job.pid")
      const created = Option.getOrThrow(yield* files.create(path, "4242\n"))
      expect(yield* fixture.names).toEqual(["job.pid"])
      expect(yield* fixture.content("job.pid")).toEqual(Option.some("4242\n"))
      expect(Option.some(created.node)).toEqual(yield* files.nodeAt(path))
      expect(created.mode & 0o7777).toBe(0o644)
      const other = Option.getOrThrow(yield* files.open(path))
      expect(yield* files.tryLock(other)).toBe(false)
    }))

  test("create releases its lock when the scope closes", () =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      const path = join(fixture.directory, "job.pid")
      yield* Effect.scoped(files.create(path, "4242\n"))
      expect(yield* files.tryLock(Option.getOrThrow(yield* files.open(path)))).toBe(true)
    }))

  it.scoped.each(["file", "symlink", "directory"] as const)("create never replaces what is already there (a %s): None, nothing changed", (kind) =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      yield* fixture.put("job.pid", kind, "7\n")
      const before = yield* files.nodeAt(join(fixture.directory, "job.pid"))
      expect(yield* files.create(join(fixture.directory, "job.pid"), "4242\n")).toEqual(Option.none())
      expect(yield* files.nodeAt(join(fixture.directory, "job.pid"))).toEqual(before)
      expect(yield* fixture.names).toEqual(["job.pid"])
      if (kind === "file") expect(yield* fixture.content("job.pid")).toEqual(Option.some("7\n"))
    }).pipe(Effect.provide(layer)))

  test("publish replaces the file with a new, locked one; an earlier open still reads the old content", () =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      yield* fixture.put("job.pid", "file", "7\n")
      const path = join(fixture.directory, "job.pid")
      const old = Option.getOrThrow(yield* files.open(path))
      const published = yield* files.publish(path, "4242\n")
      expect(published.node).not.toEqual(old.node)
      expect(Option.some(published.node)).toEqual(yield* files.nodeAt(path))
      expect(yield* files.read(old, 128)).toEqual(Option.some("7\n"))
      expect(yield* fixture.content("job.pid")).toEqual(Option.some("4242\n"))
      expect(yield* fixture.names).toEqual(["job.pid"])
      expect(yield* files.tryLock(Option.getOrThrow(yield* files.open(path)))).toBe(false)
    }))

  test("read takes the whole file up to the limit, and None past it", () =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      const readAs = (content: string, maxBytes: number) =>
        Effect.gen(function*() {
          yield* fixture.put("job.pid", "file", content)
          return yield* files.read(Option.getOrThrow(yield* files.open(join(fixture.directory, "job.pid"))), maxBytes)
        })
      expect(yield* readAs("", 128)).toEqual(Option.some(""))
      expect(yield* readAs("x".repeat(128), 128)).toEqual(Option.some("x".repeat(128)))
      expect(yield* readAs("x".repeat(129), 128)).toEqual(Option.none())
      expect(yield* readAs(`123\n${" ".repeat(5000)}garbage`, 128)).toEqual(Option.none())
      expect(yield* readAs(`123\n${" ".repeat(5000)}`, 8192)).toEqual(Option.some(`123\n${" ".repeat(5000)}`))
    }))

  test("remove unlinks the path only while it names the node given: another file there, or none, stays (false)", () =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      const path = join(fixture.directory, "job.pid")
      yield* fixture.put("job.pid", "file", "7\n")
      const judged = Option.getOrThrow(yield* files.nodeAt(path))
      yield* fixture.put("job.pid.new", "file", "8\n")
      const replacement = Option.getOrThrow(yield* files.nodeAt(join(fixture.directory, "job.pid.new")))
      expect(yield* files.remove(path, replacement)).toBe(false)
      expect(yield* fixture.content("job.pid")).toEqual(Option.some("7\n"))
      expect(yield* files.remove(path, judged)).toBe(true)
      expect(yield* files.nodeAt(path)).toEqual(Option.none())
      expect(yield* files.remove(path, judged)).toBe(false)
      expect(yield* fixture.names).toEqual(["job.pid.new"])
    }))

  test("removeAbandonedTemporaries removes unlocked temporaries and other names of the held pidfile, nothing else", () =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      const path = join(fixture.directory, "job.pid")
      yield* fixture.put("job.pid", "file", "7\n")
      const held = Option.getOrThrow(yield* files.open(path))
      expect(yield* files.tryLock(held)).toBe(true)
      const abandoned = `.job.pid.${hex("a")}.tmp`
      const alive = `.job.pid.${hex("b")}.tmp`
      const linked = `.job.pid.${hex("c")}.tmp`
      const foreign = [`.other.pid.${hex("d")}.tmp`, ".job.pid.notmine.tmp", `job.pid.${hex("e")}.tmp`]
      yield* fixture.put(abandoned, "file", "")
      yield* fixture.put(alive, "file", "")
      yield* fixture.link("job.pid", linked)
      for (const name of foreign) yield* fixture.put(name, "file", "")
      yield* fixture.put(`.job.pid.${hex("f")}.tmp`, "directory")
      expect(yield* files.tryLock(Option.getOrThrow(yield* files.open(join(fixture.directory, alive))))).toBe(true)

      const removed = yield* files.removeAbandonedTemporaries(path, held.node)
      expect([...removed].sort()).toEqual([abandoned, linked])
      expect(yield* fixture.names).toEqual([...foreign, `.job.pid.${hex("f")}.tmp`, alive, "job.pid"].sort())
      expect(yield* files.read(held, 128)).toEqual(Option.some("7\n"))
    }))

  test("a missing directory: open and nodeAt find no pidfile, remove removes none; create, publish and removeAbandonedTemporaries fail (ENOENT) and make nothing", () =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      const directory = join(fixture.directory, "missing")
      const path = join(directory, "job.pid")
      expect(yield* files.open(path)).toEqual(Option.none())
      expect(yield* files.nodeAt(path)).toEqual(Option.none())
      expect(yield* files.remove(path, { dev: 1, ino: 1 })).toBe(false)
      const failed = <E>(operation: Effect.Effect<unknown, E, Scope.Scope>) => Effect.flip(Effect.scoped(operation))
      expect([
        yield* failed(files.create(path, "4242\n")),
        yield* failed(files.publish(path, "4242\n")),
        yield* failed(files.removeAbandonedTemporaries(path, { dev: 1, ino: 1 }))
      ]).toMatchObject([
        { _tag: "OsError", operation: "create", subject: { path }, code: "ENOENT" },
        { _tag: "OsError", operation: "create", subject: { path }, code: "ENOENT" },
        { _tag: "OsError", operation: "list", subject: { path: directory }, code: "ENOENT" }
      ])
      expect(yield* fixture.names).toEqual([])
    }))

  test("makeDirectory makes every missing directory down to the one asked for; a file on the way is ENOTDIR, one where the directory was to be EEXIST", () =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      yield* files.makeDirectory(join(fixture.directory, "a/b/c"))
      yield* files.makeDirectory(join(fixture.directory, "a/b/c"))
      expect(Option.isSome(yield* files.create(join(fixture.directory, "a/b/c/job.pid"), "4242\n"))).toBe(true)
      yield* fixture.put("file", "file")
      expect(yield* Effect.flip(files.makeDirectory(join(fixture.directory, "file/sub")))).toMatchObject({ _tag: "OsError", operation: "create directory", code: "ENOTDIR" })
      expect(yield* Effect.flip(files.makeDirectory(join(fixture.directory, "file")))).toMatchObject({ _tag: "OsError", operation: "create directory", code: "EEXIST" })
    }))

  test("publish never replaces a directory (EISDIR), and leaves nothing of its own", () =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      yield* fixture.put("job.pid", "directory")
      const error = yield* Effect.flip(Effect.scoped(files.publish(join(fixture.directory, "job.pid"), "4242\n")))
      expect(error).toMatchObject({ _tag: "OsError", operation: "rename", code: "EISDIR" })
      expect(yield* fixture.names).toEqual(["job.pid"])
      expect(yield* Effect.flip(Effect.scoped(files.open(join(fixture.directory, "job.pid"))))).toMatchObject({ _tag: "PidfileInvalid" })
    }))

  test("a file whose scope has closed is read and locked no more (EBADF)", () =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      yield* fixture.put("job.pid", "file", "7\n")
      const closed = Option.getOrThrow(yield* Effect.scoped(files.open(join(fixture.directory, "job.pid"))))
      expect(yield* Effect.flip(files.read(closed, 128))).toMatchObject({ _tag: "OsError", operation: "read", code: "EBADF" })
      expect(yield* Effect.flip(files.tryLock(closed))).toMatchObject({ _tag: "OsError", operation: "flock", code: "EBADF" })
    }))

  /** `rootjob/job.pid`, the pidfile of a job of root's, which a link elsewhere may lead to. */
  const rootJob = (fixture: Fixture) =>
    Effect.zipRight(fixture.put("rootjob", "directory"), fixture.put("rootjob/job.pid", "file", "7\n"))

  /** Every operation on the pidfile at `path` (and a directory beside it), each failure or success flipped. */
  const everyOperation = (files: PidfileFiles["Type"], path: string, node: FileNode) =>
    [
      ["open", files.open(path)],
      ["nodeAt", files.nodeAt(path)],
      ["create", files.create(path, "4242\n")],
      ["publish", files.publish(path, "4242\n")],
      ["remove", files.remove(path, node)],
      ["removeAbandonedTemporaries", files.removeAbandonedTemporaries(path, node)],
      ["makeDirectory", files.makeDirectory(join(dirname(path), "sub"))]
    ] as const

  const nobody = { uid: 65534 }
  // As root (the tests run as root): a link that another user owns or could have placed (CVE-2018-16888).
  it.scoped.each([
    ["a link another user owns", "web/job.pid", /link .*\/web -> rootjob, and uid 65534 owns it,/, (fixture: Fixture) =>
      fixture.put("web", "symlink", "rootjob", nobody)],
    ["root's link in a directory another user owns", "run/web/job.pid", /uid 65534 owns the directory that holds it/, (fixture: Fixture) =>
      Effect.zipRight(fixture.put("run", "directory", undefined, nobody), fixture.put("run/web", "symlink", "../rootjob"))],
    ["root's link in a world-writable directory", "open/web/job.pid", /writable by others \(mode 777, not sticky\)/, (fixture: Fixture) =>
      Effect.zipRight(fixture.put("open", "directory", undefined, { mode: 0o777 }), fixture.put("open/web", "symlink", "../rootjob"))],
    ["root's link in a directory its group may write", "shared/web/job.pid", /mode 775, not sticky/, (fixture: Fixture) =>
      Effect.zipRight(fixture.put("shared", "directory", undefined, { mode: 0o775 }), fixture.put("shared/web", "symlink", "../rootjob"))],
    ["another user's link that root's own link leads to", "alias/web/job.pid", /link .*\/run\/web -> \.\.\/rootjob, and uid 65534 owns it/, (fixture: Fixture) =>
      Effect.all([
        fixture.put("run", "directory", undefined, nobody),
        fixture.put("run/web", "symlink", "../rootjob", nobody),
        fixture.put("alias", "symlink", "run")
      ])]
  ] as const)("a symlinked directory on the way: %s is refused by every operation, and nothing in its target is touched", ([, pidfile, reason, plant]) =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      yield* rootJob(fixture)
      yield* plant(fixture)
      const before = yield* fixture.names
      const rootNode = Option.getOrThrow(yield* files.nodeAt(join(fixture.directory, "rootjob/job.pid")))
      for (const [operation, run] of everyOperation(files, join(fixture.directory, pidfile), rootNode)) {
        const error = yield* Effect.flip(Effect.scoped(run))
        expect(error, operation).toMatchObject({ _tag: "PidfileInvalid", path: expect.stringContaining(fixture.directory), reason: expect.stringMatching(reason) })
      }
      expect(yield* fixture.names).toEqual(before)
      expect(yield* fixture.content("rootjob/job.pid")).toEqual(Option.some("7\n"))
    }).pipe(Effect.provide(layer)))

  it.scoped.each([
    ["a relative link", "web/job.pid", (fixture: Fixture) => fixture.put("web", "symlink", "rootjob")],
    ["an absolute link", "web/job.pid", (fixture: Fixture) => fixture.put("web", "symlink", join(fixture.directory, "rootjob"))],
    // Sticky (/tmp): only the link's owner, the directory's and root may remove or rename it.
    ["a link in a sticky world-writable directory", "tmp/web/job.pid", (fixture: Fixture) =>
      Effect.zipRight(fixture.put("tmp", "directory", undefined, { mode: 0o1777 }), fixture.put("tmp/web", "symlink", "../rootjob"))],
    ["a link to a link", "alias/job.pid", (fixture: Fixture) => Effect.zipRight(fixture.put("web", "symlink", "rootjob"), fixture.put("alias", "symlink", "web"))]
  ] as const)("a symlinked directory on the way that root owns, where no other user may write (%s), is followed by every operation", ([, pidfile, plant]) =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      yield* rootJob(fixture)
      yield* plant(fixture)
      const path = join(fixture.directory, pidfile)
      const opened = Option.getOrThrow(yield* files.open(path))
      expect(yield* files.read(opened, 128)).toEqual(Option.some("7\n"))
      expect(yield* files.nodeAt(path)).toEqual(Option.some(opened.node))
      expect(yield* files.create(path, "4242\n")).toEqual(Option.none())
      yield* files.publish(path, "4242\n")
      expect(yield* fixture.content("rootjob/job.pid")).toEqual(Option.some("4242\n"))
      yield* files.makeDirectory(join(dirname(path), "sub"))
      expect(yield* files.remove(path, Option.getOrThrow(yield* files.nodeAt(path)))).toBe(true)
      expect(Option.isSome(yield* files.create(path, "4243\n"))).toBe(true)
      expect(yield* fixture.content("rootjob/job.pid")).toEqual(Option.some("4243\n"))
    }).pipe(Effect.provide(layer)))

  test("links that lead to each other are a system error (ELOOP), not followed forever", () =>
    Effect.gen(function*() {
      const [files, fixture] = yield* setUp
      yield* fixture.put("a", "symlink", "b")
      yield* fixture.put("b", "symlink", "a")
      expect(yield* Effect.flip(files.open(join(fixture.directory, "a/job.pid")))).toMatchObject({ _tag: "OsError", operation: "open", code: "ELOOP" })
    }))
})
