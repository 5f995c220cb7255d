/**
 * An in-memory `PidfileFiles` for tests: paths name inodes (two paths may
 * name one, as after link(2)), inodes carry content, owner and mode, and
 * flocks belong to inodes as in the kernel. Every operation is atomic here,
 * so `create` and `publish` never show their temporaries; a test plants
 * leftovers of interrupted runs with `put`. Paths are walked as the live
 * layer walks them (`pathWalk.ts`), as root: a symbolic link (whose content
 * is its target) on the way is followed or refused by the same rule. It
 * refuses what the live layer refuses: a missing directory (ENOENT, which
 * `open`, `nodeAt` and `remove` take for a missing pidfile), a file on the
 * way (ENOTDIR), a directory where `publish` would rename (EISDIR), a
 * descriptor used after its scope closed (EBADF). The directories a `put`
 * path needs are made with it, root's, mode 0755, as are those
 * `makeDirectory` makes; neither kind is listed by `paths`. The contract
 * suite (`test/unit/PidfileFiles.contract.test.ts`) holds it to the live
 * layer.
 *
 * `SimulatedFiles` lets a test play the other processes: hold a lock, plant
 * a symlink or a directory, or replace a file between another party's open
 * and flock, which is exactly where the lock protocol has to retry.
 */
import { Context, Effect, Layer, Option, type Scope } from "effect"
import { basename, dirname, join } from "node:path"
import { osError } from "../os/errno.js"
import { PidfileInvalid, PidfileProblem } from "./errors.js"
import { isMissing } from "./liveCalls.js"
import { type Walker, walkTo } from "./pathWalk.js"
import { type FileNode, isTemporaryOf, type OpenFile, PidfileFiles, sameNode } from "./PidfileFiles.js"

type Kind = "file" | "directory" | "symlink" | "fifo"

interface Inode {
  readonly ino: number
  readonly kind: Kind
  content: string
  uid: number
  mode: number
  /** The fd of the open file description holding the flock, if any. */
  lockedBy: number | undefined
  /** A directory made along the way (by `makeDirectory`, or for a path put below it), not put itself. */
  readonly madeAlong: boolean
}

/**
 * @since 0.1.0
 * @category services
 */
export interface SimulatedFilesService {
  /**
   * Puts a new inode at `path` (a rename over whatever was there), making
   * the directories above it that are missing; a symlink's `content` is its
   * target. Owner: root, mode 0644, unless given.
   */
  readonly put: (path: string, kind: Kind, content?: string, owner?: { readonly uid?: number; readonly mode?: number }) => Effect.Effect<void>
  /** Gives the inode at `existing` a second name, as link(2) does. */
  readonly link: (existing: string, path: string) => Effect.Effect<void>
  readonly remove: (path: string) => Effect.Effect<void>
  readonly content: (path: string) => Effect.Effect<Option.Option<string>>
  /** Another process locks the file at `path` until the scope closes. */
  readonly holdLock: (path: string) => Effect.Effect<void, never, Scope.Scope>
  /** Runs `effect` once, right after the next open and before its flock. */
  readonly beforeNextLock: (effect: Effect.Effect<void>) => Effect.Effect<void>
  /** Every path put or written, for asserting that nothing else was; not the directories made along the way. */
  readonly paths: Effect.Effect<ReadonlyArray<string>>
}

/**
 * The test's handle on the simulated files; `SimulatedFiles.put(...)` and the rest need only the tag.
 * @since 0.1.0
 * @category services
 */
export class SimulatedFiles extends Effect.Tag("sipid/SimulatedFiles")<SimulatedFiles, SimulatedFilesService>() {}

const device = 1

/** What `mkdir`, `ln -s`, a pidfile and `mkfifo` make, with the usual umask. */
const defaultModes: Record<Kind, number> = { file: 0o644, directory: 0o755, symlink: 0o777, fifo: 0o644 }

/** `/` (or the working directory, for a relative path): root's, as every directory the simulation makes. */
const rootDirectory = { uid: 0, mode: defaultModes.directory }

/** A Node-style error, as the live layer's calls throw. */
const errno = (code: string, path: string) => Object.assign(new Error(`${code}: ${path}`), { code })

/**
 * @since 0.1.0
 * @category layers
 */
export const make = Effect.sync(() => {
  const tree = new Map<string, Inode>()
  const descriptors = new Map<number, Inode>()
  let nextIno = 100
  let nextFd = 3
  let pendingHook: Effect.Effect<void> | undefined

  const newInode = (kind: Kind, content = "", owner: { readonly uid?: number; readonly mode?: number } = {}): Inode => ({
    // Stryker disable next-line UpdateOperator: inode numbers counting down are still unique, and they are only compared for equality
    ino: nextIno++,
    kind,
    content,
    uid: owner.uid ?? 0,
    mode: owner.mode ?? defaultModes[kind],
    lockedBy: undefined,
    madeAlong: false
  })
  /** A directory mkdir -p makes: root's, as the simulation runs as root. */
  const madeAlong = (): Inode => ({ ...newInode("directory"), madeAlong: true })
  /** Puts `inode` at `path`, making the missing directories above it, as a test's fixture would with mkdir -p. */
  const putAt = (path: string, inode: Inode) => {
    for (let directory = dirname(path); directory !== dirname(directory) && !tree.has(directory); directory = dirname(directory)) {
      tree.set(directory, madeAlong())
    }
    tree.set(path, inode)
  }
  const nodeOf = (inode: Inode): FileNode => ({ dev: device, ino: inode.ino })
  const openDescription = (inode: Inode): OpenFile => {
    const fd = nextFd++
    descriptors.set(fd, inode)
    return { fd, node: nodeOf(inode), uid: inode.uid, mode: inode.mode }
  }
  /** The inode open as `file`; EBADF once its scope closed it, as read(2) and flock(2) say. */
  const described = (operation: string, file: OpenFile) =>
    Effect.suspend(() => {
      const inode = descriptors.get(file.fd)
      return inode === undefined ? Effect.fail(osError(operation, `fd ${file.fd}`, errno("EBADF", `fd ${file.fd}`))) : Effect.succeed(inode)
    })
  const close = (fd: number) => {
    const inode = descriptors.get(fd)
    if (inode?.lockedBy === fd) inode.lockedBy = undefined
    descriptors.delete(fd)
  }
  const takeHook = Effect.suspend(() => {
    const hook = pendingHook
    pendingHook = undefined
    return hook ?? Effect.void
  })

  /** Directories as paths; with `create`, missing ones are made (mkdir -p). */
  const walker = (create: boolean): Walker<string> => ({
    start: (absolute) => absolute ? "/" : ".",
    step: (at, name, last) => {
      const path = join(at, name)
      const inode = tree.get(path)
      if (inode === undefined) {
        if (!create) throw errno("ENOENT", path)
        tree.set(path, madeAlong())
        return { _tag: "Directory", directory: path }
      }
      if (inode.kind === "symlink") return { _tag: "Symlink", target: inode.content, link: inode }
      if (inode.kind === "directory") return { _tag: "Directory", directory: path }
      // As mkdir(2) and open(2) would say: a file where a directory was to be made, or below one.
      throw errno(create && last ? "EEXIST" : "ENOTDIR", path)
    },
    ownership: (at) => tree.get(at) ?? rootDirectory,
    release: () => undefined
  })
  /** The directory `directory` leads to; a failure names `reportAs`, as the live layer's do. */
  const walk = (operation: string, directory: string, reportAs: string, create = false) =>
    Effect.try({
      // The simulation runs as root, as BOSH scripts do.
      try: () => walkTo(directory, walker(create), { reportAs, callerUid: 0 }),
      catch: (cause) => cause instanceof PidfileInvalid ? cause : osError(operation, reportAs, cause)
    })
  /** Where `path`'s name is, its directory reached: where `operation` acts. */
  const resolve = (operation: string, path: string) => Effect.map(walk(operation, dirname(path), path), (directory) => join(directory, basename(path)))

  const lockedFile = (inode: Inode): OpenFile => {
    const file = openDescription(inode)
    inode.lockedBy = file.fd
    return file
  }
  const closeAtEnd = <E>(effect: Effect.Effect<Option.Option<OpenFile>, E>) =>
    Effect.acquireRelease(effect, (file) => Effect.sync(() => Option.map(file, ({ fd }) => close(fd))))

  const files = PidfileFiles.of({
    makeDirectory: (directory) => Effect.asVoid(walk("create directory", directory, directory, true)),
    open: (path) =>
      closeAtEnd(Effect.flatMap(resolve("open", path), (real) => {
        const inode = tree.get(real)
        if (inode === undefined) return Effect.succeed(Option.none())
        if (inode.kind !== "file") {
          const problem = inode.kind === "symlink"
            ? PidfileProblem.Symlink()
            : PidfileProblem.NotRegular({ kind: inode.kind === "fifo" ? "FIFO" : inode.kind })
          return Effect.fail(new PidfileInvalid({ path, problem }))
        }
        return Effect.succeed(Option.some(openDescription(inode)))
      })).pipe(Effect.catchIf(isMissing, () => Effect.succeedNone), Effect.tap(() => takeHook)),
    tryLock: (file) =>
      Effect.map(described("flock", file), (inode) => {
        if (inode.lockedBy !== undefined && inode.lockedBy !== file.fd) return false
        inode.lockedBy = file.fd
        return true
      }),
    nodeAt: (path) =>
      Effect.map(resolve("lstat", path), (real) => Option.map(Option.fromNullable(tree.get(real)), nodeOf)).pipe(
        Effect.catchIf(isMissing, () => Effect.succeedNone)
      ),
    read: (file, maxBytes) =>
      Effect.map(described("read", file), ({ content }) => Buffer.byteLength(content) > maxBytes ? Option.none() : Option.some(content)),
    create: (path, content) =>
      closeAtEnd(Effect.map(resolve("create", path), (real) => {
        if (tree.has(real)) return Option.none()
        const inode = newInode("file", content)
        tree.set(real, inode)
        return Option.some(lockedFile(inode))
      })),
    publish: (path, content) =>
      Effect.map(
        closeAtEnd(Effect.flatMap(resolve("create", path), (real) => {
          // rename(2) replaces anything but a directory.
          if (tree.get(real)?.kind === "directory") return Effect.fail(osError("rename", path, errno("EISDIR", path)))
          const inode = newInode("file", content)
          tree.set(real, inode)
          return Effect.succeed(Option.some(lockedFile(inode)))
        })),
        Option.getOrThrow
      ),
    removeAbandonedTemporaries: (path, held) =>
      Effect.map(walk("list", dirname(path), dirname(path)), (directory) => {
        const removed: Array<string> = []
        for (const [candidate, inode] of tree) {
          if (dirname(candidate) !== directory || !isTemporaryOf(basename(path), basename(candidate))) continue
          if (inode.kind === "file" && (sameNode(nodeOf(inode), held) || inode.lockedBy === undefined)) {
            tree.delete(candidate)
            removed.push(basename(candidate))
          }
        }
        return removed
      }),
    remove: (path, node) =>
      Effect.map(resolve("remove", path), (real) => {
        const inode = tree.get(real)
        return inode !== undefined && sameNode(nodeOf(inode), node) && tree.delete(real)
      }).pipe(Effect.catchIf(isMissing, () => Effect.succeed(false)))
  })

  const simulated = SimulatedFiles.of({
    put: (path, kind, content, owner) => Effect.sync(() => putAt(path, newInode(kind, content, owner))),
    link: (existing, path) => Effect.sync(() => putAt(path, tree.get(existing)!)),
    remove: (path) => Effect.sync(() => void tree.delete(path)),
    content: (path) => Effect.sync(() => Option.map(Option.fromNullable(tree.get(path)), (inode) => inode.content)),
    holdLock: (path) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          const fd = nextFd++
          const inode = tree.get(path)!
          descriptors.set(fd, inode)
          inode.lockedBy = fd
          return fd
        }),
        (fd) => Effect.sync(() => close(fd))
      ).pipe(Effect.asVoid),
    beforeNextLock: (effect) => Effect.sync(() => void (pendingHook = effect)),
    paths: Effect.sync(() => [...tree].filter(([, inode]) => !inode.madeAlong).map(([path]) => path).sort())
  })
  return { files, simulated }
})

/**
 * `PidfileFiles` and its `SimulatedFiles` controls, sharing one in-memory tree.
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<PidfileFiles | SimulatedFiles> = Layer.effectContext(
  Effect.map(make, ({ files, simulated }) => Context.make(PidfileFiles, files).pipe(Context.add(SimulatedFiles, simulated)))
)
