/**
 * A system call failed for a reason outside sipid's control (EACCES, EROFS,
 * ...), and what it failed on. Not named SystemError:
 * `Effect.catchTag("SystemError")` would then catch @effect/platform's
 * errors and sipid's alike.
 */
import { Data } from "effect"
import type { Pid } from "../process/Pid.js"

/**
 * What a failed system call was about.
 * @since 0.2.0
 * @category errors
 */
export type OsSubject = Data.TaggedEnum<{
  /** A file, directory or library, by its path or name. */
  File: { readonly path: string }
  /** A process, by its PID. */
  Process: { readonly pid: Pid }
  /** `run`'s set-up of the job in sipid's own process before the exec: "the job", "user vcap", "descriptor 3". */
  JobSetUp: { readonly what: string }
}>

export const OsSubject = Data.taggedEnum<OsSubject>()

/**
 * The subject as a log line names it: the path, `process 80`, `the job`.
 * @since 0.2.0
 * @category errors
 */
export const describeOsSubject: (subject: OsSubject) => string = OsSubject.$match({
  File: ({ path }) => path,
  Process: ({ pid }) => `process ${pid}`,
  JobSetUp: ({ what }) => what
})

/**
 * @since 0.2.0
 * @category errors
 */
export class OsError extends Data.TaggedError("OsError")<{
  readonly operation: string
  readonly subject: OsSubject
  /** The errno name (`EACCES`), or sipid's own (`ENATIVE`, `EUNKNOWN`). */
  readonly code: string
  readonly detail?: string
  /** What to do about it, where only the failing code knows (a broken installation). */
  readonly hint?: string
  /** The error it was made from: a Node error, libc's errno, or @effect/platform's error. */
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${describeOsSubject(this.subject)}: ${this.operation} failed: ${this.detail ?? this.code}${this.hint ? `; ${this.hint}` : ""}`
  }
}
