import { Data } from "effect"

/**
 * Text that is not a Go duration with a unit (`parseGoDuration`).
 * @since 0.1.0
 * @category errors
 */
export class InvalidDuration extends Data.TaggedError("InvalidDuration")<{
  readonly input: string
  readonly reason: string
}> {
  override get message(): string {
    return `invalid duration "${this.input}": ${this.reason}`
  }
}
