/** The CLI's own error: a command-line value is malformed. The library never fails with it. */
import { Data } from "effect"
import type { SipidError } from "../errors.js"

/** A command-line value is malformed: a PID, a duration, a URL, a schedule. */
export class UsageError extends Data.TaggedError("UsageError")<{
  readonly detail: string
}> {
  override get message(): string {
    return this.detail
  }
}

/** What a command's program may fail with: the library's errors and the CLI's own. */
export type CommandError = SipidError | UsageError
