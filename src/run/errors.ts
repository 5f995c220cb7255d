/** What `run` fails with before or at the exec: COMMAND missing or not runnable, an unknown account. */
import { Data } from "effect"

/**
 * `run`: COMMAND names no file: not on the PATH searched, or no such path. Nothing was claimed, or the claim was withdrawn.
 * @since 0.2.0
 * @category errors
 */
export class CommandNotFound extends Data.TaggedError("CommandNotFound")<{
  readonly command: string
  /** The directories searched, for a command without a slash; none for a path. */
  readonly searched: ReadonlyArray<string>
  /** What failed when the kernel itself answered ENOENT (a script's #! interpreter missing). */
  readonly detail?: string
}> {
  override get message(): string {
    return `${this.command}: ${
      this.detail ?? (this.searched.length === 0 ? "no such file" : `not found in PATH (${this.searched.join(":") || "empty"})`)
    }`
  }
}

/**
 * `run`: COMMAND is there but cannot be run: not executable for the job's user, a directory, not a program.
 * @since 0.2.0
 * @category errors
 */
export class CommandNotExecutable extends Data.TaggedError("CommandNotExecutable")<{
  readonly command: string
  /** The file COMMAND resolved to. */
  readonly path: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.command}: ${this.path === this.command ? "" : `${this.path} `}${this.reason}`
  }
}

/**
 * `run --user`: no such user or group in /etc/passwd or /etc/group.
 * @since 0.2.0
 * @category errors
 */
export class UnknownAccount extends Data.TaggedError("UnknownAccount")<{
  readonly kind: "user" | "group"
  readonly name: string
}> {
  override get message(): string {
    return `no ${this.kind} ${JSON.stringify(this.name)} in /etc/${this.kind === "user" ? "passwd" : "group"}`
  }
}
