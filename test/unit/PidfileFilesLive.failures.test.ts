/**
 * How the live `PidfileFiles` reports a failed system call: as a
 * `OsError` naming the operation, the path (or fd) and the errno, which
 * is what the one-line message and its hint are made from. Real files in a
 * temporary directory, made to fail by a file standing where a directory
 * should be, a missing directory or a closed descriptor.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, type Scope } from "effect"
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { LibcLive } from "../../src/native/Libc.js"
import { type OpenFile, PidfileFiles } from "../../src/pidfile/PidfileFiles.js"
import * as PidfileFilesLive from "../../src/pidfile/PidfileFilesLive.js"

/** A temporary directory holding a regular file `file`, removed with the scope. */
const directory = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = fs.mkdtempSync(join(tmpdir(), "sipid-failures-"))
    fs.writeFileSync(join(dir, "file"), "")
    return dir
  }),
  (path) => Effect.sync(() => fs.rmSync(path, { recursive: true, force: true }))
)

const failure = <A, E>(run: (files: PidfileFiles["Type"], dir: string) => Effect.Effect<A, E, Scope.Scope>) =>
  Effect.flatMap(directory, (dir) =>
    Effect.flatMap(PidfileFiles, (files) => Effect.flip(run(files, dir)))).pipe(
      Effect.provide(PidfileFilesLive.layer.pipe(Layer.provide(LibcLive)))
    )

/** A descriptor no file has: closed at once after opening. */
const closedFile = (): OpenFile => {
  const fd = fs.openSync("/dev/null", "r")
  fs.closeSync(fd)
  return { fd, node: { dev: 0, ino: 0 }, uid: 0, mode: 0o100644 }
}

describe("PidfileFilesLive reports a failed system call by its operation, path and errno", () => {
  it.scoped.each([
    ["makeDirectory over a file", (files, dir) => files.makeDirectory(join(dir, "file")), "create directory", "file", "EEXIST"],
    ["open below a file", (files, dir) => files.open(join(dir, "file/x")), "open", "file/x", "ENOTDIR"],
    ["nodeAt below a file", (files, dir) => files.nodeAt(join(dir, "file/x")), "lstat", "file/x", "ENOTDIR"],
    ["remove below a file", (files, dir) => files.remove(join(dir, "file/x"), { dev: 0, ino: 0 }), "remove", "file/x", "ENOTDIR"],
    [
      "remove a directory",
      (files, dir) => Effect.suspend(() => files.remove(dir, { dev: fs.statSync(dir).dev, ino: fs.statSync(dir).ino })),
      "remove",
      "",
      "EISDIR"
    ],
    ["create in a missing directory", (files, dir) => files.create(join(dir, "missing/p.pid"), "42\n"), "create", "missing/p.pid", "ENOENT"],
    ["publish in a missing directory", (files, dir) => files.publish(join(dir, "missing/p.pid"), "42\n"), "create", "missing/p.pid", "ENOENT"],
    [
      "publish onto a directory",
      (files, dir) => Effect.suspend(() => (fs.mkdirSync(join(dir, "d/e"), { recursive: true }), files.publish(join(dir, "d"), "42\n"))),
      "rename",
      "d",
      "EISDIR"
    ],
    [
      "removeAbandonedTemporaries in a missing directory",
      (files, dir) => files.removeAbandonedTemporaries(join(dir, "missing/p.pid"), { dev: 0, ino: 0 }),
      "list",
      "missing",
      "ENOENT"
    ]
  ] as const satisfies ReadonlyArray<
    readonly [string, (files: PidfileFiles["Type"], dir: string) => Effect.Effect<unknown, unknown, Scope.Scope>, string, string, string]
  >)("%s", ([, run, operation, below, code]) =>
    Effect.gen(function*() {
      const error = yield* failure(run)
      expect(error).toMatchObject({ _tag: "OsError", operation, code })
      expect((error as { readonly subject: { readonly path: string } }).subject.path).toMatch(new RegExp(`/sipid-failures-\\w+${below === "" ? "" : `/${below}`}$`))
    }))

  it.scoped.each([
    ["read", (files: PidfileFiles["Type"], file: OpenFile): Effect.Effect<unknown, unknown> => files.read(file, 128)],
    ["flock", (files: PidfileFiles["Type"], file: OpenFile): Effect.Effect<unknown, unknown> => files.tryLock(file)]
  ] as const)("%s on a closed descriptor names the descriptor", ([operation, run]) =>
    Effect.gen(function*() {
      const file = closedFile()
      const error = yield* failure((files) => run(files, file))
      expect(error).toMatchObject({ _tag: "OsError", operation, subject: { path: `fd ${file.fd}` }, code: "EBADF" })
    }))
})
