/**
 * A pidfile's directory on the real file system, reached by `walkTo` and
 * held open, so that every call about the pidfile acts in the directory
 * that was judged, whatever is renamed or linked meanwhile.
 *
 * Node has no openat(2). A name inside a held directory is reached as
 * `/proc/self/fd/N/NAME` instead: procfs resolves `/proc/self/fd/N` to the
 * very directory descriptor N holds (not to a path, which could have
 * changed), and NAME alone is then looked up there, so O_NOFOLLOW, link(2),
 * rename(2) and unlink(2) apply to NAME in that directory.
 */
import * as fs from "node:fs"
import { codeOf } from "./liveCalls.js"
import { type Walker, walkTo, type WalkOptions } from "./pathWalk.js"

/**
 * Linux's O_PATH (its value on x86-64 and arm64), which Node does not
 * export: a descriptor that only holds its place, so a directory sipid may
 * search but not read (mode 0711, 0300) can be held too.
 */
const O_PATH = 0o10000000

const { O_DIRECTORY, O_NOFOLLOW } = fs.constants

const inside = (fd: number, name: string) => `/proc/self/fd/${fd}/${name}`

const errorOf = (code: string, path: string) => Object.assign(new Error(`${code}: ${path}`), { code })

/**
 * The directory `name` in `fd`, not followed if it is a symbolic link
 * (ENOTDIR then, as for any other file). O_DIRECTORY also mounts an
 * automounted directory, as a path walk through it would. With `create`, a
 * missing directory is made first.
 */
const openDirectory = (fd: number, name: string, create: boolean): number => {
  const open = () => fs.openSync(inside(fd, name), O_PATH | O_DIRECTORY | O_NOFOLLOW)
  try {
    return open()
  } catch (cause) {
    if (!create || codeOf(cause) !== "ENOENT") throw cause
  }
  try {
    fs.mkdirSync(inside(fd, name))
  } catch (cause) {
    // Another claim made it meanwhile: fine, whatever it is gets judged.
    if (codeOf(cause) !== "EEXIST") throw cause
  }
  return open()
}

/** Directories as descriptors; with `create`, missing ones are made (mkdir -p). */
const walker = (create: boolean): Walker<number> => ({
  start: (absolute) => fs.openSync(absolute ? "/" : ".", O_PATH | O_DIRECTORY),
  step: (at, name, last) => {
    try {
      return { _tag: "Directory", directory: openDirectory(at, name, create) }
    } catch (cause) {
      if (codeOf(cause) !== "ENOTDIR") throw cause
    }
    const stats = fs.lstatSync(inside(at, name))
    if (stats.isSymbolicLink()) return { _tag: "Symlink", target: fs.readlinkSync(inside(at, name)), link: stats }
    // As mkdir(2) and open(2) would say: a file where a directory was to be made, or below one.
    throw errorOf(create && last ? "EEXIST" : "ENOTDIR", name)
  },
  ownership: (at) => fs.fstatSync(at),
  release: (at) => fs.closeSync(at)
})

export interface PinnedDirectory {
  /** `name` inside the directory, as a path for any call. */
  readonly entry: (name: string) => string
  /** The directory itself, for a call that opens it (readdir, an fsync). */
  readonly self: string
  readonly close: () => void
}

/**
 * Holds `directory` open until `close`, or throws: the walk's refusal
 * (`PidfileInvalid`) or a Node error (ENOENT when it is missing and not
 * `create`d).
 */
export const pinDirectory = (directory: string, options: WalkOptions & { readonly create?: boolean }): PinnedDirectory => {
  const fd = walkTo(directory, walker(options.create ?? false), options)
  return { entry: (name) => inside(fd, name), self: `/proc/self/fd/${fd}`, close: () => fs.closeSync(fd) }
}
