/**
 * An in-memory `PidfileFiles` for tests: paths name inodes, inodes carry
 * content, owner and mode, and flocks belong to inodes as in the kernel.
 *
 * `SimulatedFiles` lets a test play the other processes: hold a lock, plant
 * a symlink or a directory, or replace a file between another party's open
 * and flock, which is exactly where the lock protocol has to retry.
 */
import { Context, Effect, Layer, Option, type Scope } from "effect"
import { PidfileInvalid } from "../errors.js"
import { type FileNode, type OpenFile, PidfileFiles } from "./PidfileFiles.js"

type Kind = "file" | "directory" | "symlink" | "fifo"

interface Inode {
  readonly ino: number
  readonly kind: Kind
  content: string
  uid: number
  mode: number
  /** The fd of the open file description holding the flock, if any. */
  lockedBy: number | undefined
}

export interface SimulatedFilesService {
  /** Puts a new inode at `path` (a rename over whatever was there). */
  readonly put: (path: string, kind: Kind, content?: string, owner?: { readonly uid?: number; readonly mode?: number }) => Effect.Effect<void>
  readonly remove: (path: string) => Effect.Effect<void>
  readonly content: (path: string) => Effect.Effect<Option.Option<string>>
  /** Another process locks the file at `path` until the scope closes. */
  readonly holdLock: (path: string) => Effect.Effect<void, never, Scope.Scope>
  /** Runs `effect` once, right after the next open and before its flock. */
  readonly beforeNextLock: (effect: Effect.Effect<void>) => Effect.Effect<void>
  /** Every path that exists, for asserting that nothing else was written. */
  readonly paths: Effect.Effect<ReadonlyArray<string>>
}

export class SimulatedFiles extends Context.Tag("sipid/SimulatedFiles")<SimulatedFiles, SimulatedFilesService>() {}

const device = 1

export const make = Effect.sync(() => {
  const tree = new Map<string, Inode>()
  const descriptors = new Map<number, Inode>()
  let nextIno = 100
  let nextFd = 3
  let pendingHook: Effect.Effect<void> | undefined

  const newInode = (kind: Kind, content = "", owner: { readonly uid?: number; readonly mode?: number } = {}): Inode => ({
    ino: nextIno++,
    kind,
    content,
    uid: owner.uid ?? 0,
    mode: owner.mode ?? 0o644,
    lockedBy: undefined
  })
  const nodeOf = (inode: Inode): FileNode => ({ dev: device, ino: inode.ino })
  const openDescription = (inode: Inode): OpenFile => {
    const fd = nextFd++
    descriptors.set(fd, inode)
    return { fd, node: nodeOf(inode), uid: inode.uid, mode: inode.mode }
  }
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

  const files = PidfileFiles.of({
    makeDirectory: () => Effect.void,
    open: (path, { create }) =>
      Effect.suspend(() => {
        let inode = tree.get(path)
        if (inode === undefined) {
          if (!create) return Effect.succeed(Option.none())
          inode = newInode("file")
          tree.set(path, inode)
        }
        if (inode.kind !== "file") {
          return Effect.fail(new PidfileInvalid({ path, reason: inode.kind === "symlink" ? "is a symbolic link" : `is a ${inode.kind}` }))
        }
        return Effect.succeed(Option.some(openDescription(inode)))
      }).pipe(Effect.tap(() => takeHook)),
    tryLock: (file) =>
      Effect.sync(() => {
        const inode = descriptors.get(file.fd)!
        if (inode.lockedBy !== undefined && inode.lockedBy !== file.fd) return false
        inode.lockedBy = file.fd
        return true
      }),
    close: (file) => Effect.sync(() => close(file.fd)),
    nodeAt: (path) => Effect.sync(() => Option.map(Option.fromNullable(tree.get(path)), nodeOf)),
    read: (file) => Effect.sync(() => descriptors.get(file.fd)!.content),
    publish: (path, content) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          const inode = newInode("file", content)
          const file = openDescription(inode)
          inode.lockedBy = file.fd
          tree.set(path, inode)
          return file
        }),
        (file) => Effect.sync(() => close(file.fd))
      ),
    remove: (path) => Effect.sync(() => void tree.delete(path))
  })

  const simulated = SimulatedFiles.of({
    put: (path, kind, content, owner) => Effect.sync(() => void tree.set(path, newInode(kind, content, owner))),
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
    paths: Effect.sync(() => [...tree.keys()].sort())
  })
  return { files, simulated }
})

/** `PidfileFiles` and its `SimulatedFiles` controls, sharing one in-memory tree. */
export const layer: Layer.Layer<PidfileFiles | SimulatedFiles> = Layer.effectContext(
  Effect.map(make, ({ files, simulated }) => Context.make(PidfileFiles, files).pipe(Context.add(SimulatedFiles, simulated)))
)
