import { Data } from "effect"

/** Text that is not a Go duration with a unit (`parseGoDuration`). */
export class InvalidDuration extends Data.TaggedError("InvalidDuration")<{
  readonly input: string
  readonly reason: string
}> {
  override get message(): string {
    return `invalid duration "${this.input}": ${this.reason}`
  }
}
