/**
 * How both `PidfileFiles` layers reach a pidfile's directory: one name at a
 * time, never letting the kernel follow a symbolic link on the way. A link
 * is judged (`checkSymlinkTrust`) and, if no other user may have chosen
 * where it points, its target's names are walked in its place (from `/`
 * for an absolute target), each judged in turn. `..` is the parent of the
 * directory reached so far, as the kernel resolves it.
 */
import { Either } from "effect"
import { isAbsolute, join } from "node:path"
import { checkSymlinkTrust, type Ownership } from "./trust.js"

/** What a walk finds at one name. */
export type Step<D> =
  | { readonly _tag: "Directory"; readonly directory: D }
  | { readonly _tag: "Symlink"; readonly target: string; readonly link: Ownership }

/** One layer's way through its directories; `D` is a directory reached (a descriptor, a path). */
export interface Walker<D> {
  /** `/`, or the working directory for a relative path. */
  readonly start: (absolute: boolean) => D
  /**
   * What is at `name` in `at`: a directory, or a symbolic link (not
   * followed). Throws a Node-style error (ENOENT, ENOTDIR, ...) otherwise.
   * `last`: `name` is the last one the walk needs.
   */
  readonly step: (at: D, name: string, last: boolean) => Step<D>
  readonly ownership: (at: D) => Ownership
  /** Lets go of a directory the walk has passed. */
  readonly release: (at: D) => void
}

/** As many symbolic links as the kernel follows in one path (MAXSYMLINKS). */
const maxSymlinks = 40

/** The names of `path`, in order, without the empty and `.` ones. */
const namesOf = (path: string): Array<string> => path.split("/").filter((name) => name !== "" && name !== ".")

export interface WalkOptions {
  /** The path the caller acts on, which a refusal names. */
  readonly reportAs: string
  /** Whose links may be followed, with root's (see `unsafeSymlinkReason`). */
  readonly callerUid: number
}

/**
 * The directory `directory` leads to. Throws the `PidfileInvalid` of a
 * symbolic link another user may have placed, or the walker's error.
 */
export const walkTo = <D>(directory: string, walker: Walker<D>, { callerUid, reportAs }: WalkOptions): D => {
  let at = walker.start(isAbsolute(directory))
  let text = isAbsolute(directory) ? "/" : "."
  const pending = namesOf(directory).reverse()
  let followed = 0
  try {
    for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
      const step = walker.step(at, name, pending.length === 0)
      if (step._tag === "Directory") {
        walker.release(at)
        at = step.directory
        text = join(text, name)
        continue
      }
      if (++followed > maxSymlinks) throw Object.assign(new Error(`too many symbolic links in ${directory}`), { code: "ELOOP" })
      const symlink = { at: join(text, name), target: step.target, link: step.link, directory: walker.ownership(at) }
      Either.getOrThrowWith(checkSymlinkTrust(reportAs, symlink, callerUid), (refused) => refused)
      pending.push(...namesOf(step.target).reverse())
      if (isAbsolute(step.target)) {
        const root = walker.start(true)
        walker.release(at)
        at = root
        text = "/"
      }
    }
    return at
  } catch (cause) {
    walker.release(at)
    throw cause
  }
}
