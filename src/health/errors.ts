import { Data } from "effect"

/** Text that is not a health-check setting: a URL, a status range, a header (`sipid/health`'s parsers). */
export class InvalidProbeSetting extends Data.TaggedError("InvalidProbeSetting")<{
  readonly input: string
  /** The whole sentence: what is wrong with `input` and what to write instead. */
  readonly reason: string
}> {
  override get message(): string {
    return this.reason
  }
}
