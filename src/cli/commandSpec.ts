/**
 * The shape of each command's options, read from its @effect/cli definition
 * (its Usage), so that the argv checks and the help never restate it.
 */
import { Command, type Usage } from "@effect/cli"
import { Option } from "effect"

export interface OptionSpec {
  /** `--grace` */
  readonly name: string
  /** `DURATION`, or `text|json` for a choice; undefined for a flag, which takes no value. */
  readonly placeholder: string | undefined
  /** The accepted values of a choice option. */
  readonly choices: ReadonlyArray<string> | undefined
  readonly required: boolean
  readonly repeatable: boolean
}

export interface CommandSpec {
  readonly name: string
  readonly options: ReadonlyArray<OptionSpec>
}

/** @effect/cli writes a choice option's accepted values as `a | b`, a placeholder as one word. */
const choiceSeparator = " | "

const named = (usage: Usage.Named, required: boolean, repeatable: boolean): OptionSpec => {
  const accepted = Option.getOrUndefined(usage.acceptedValues)
  const choices = accepted?.includes(choiceSeparator) ? accepted.split(choiceSeparator) : undefined
  return { name: usage.names[0]!, placeholder: choices ? choices.join("|") : accepted, choices, required, repeatable }
}

/** Every named part of `usage` in order; sipid's commands use no positional arguments or alternatives. */
const flatten = (usage: Usage.Usage, required = true, repeatable = false): Array<OptionSpec> => {
  switch (usage._tag) {
    case "Concat":
      return [...flatten(usage.left, required, repeatable), ...flatten(usage.right, required, repeatable)]
    case "Optional":
      return flatten(usage.usage, false, repeatable)
    case "Repeated":
      return flatten(usage.usage, false, true)
    case "Named":
      return [named(usage, required, repeatable)]
    default:
      return []
  }
}

/** A subcommand's usage starts with its own name, then its options. */
export const commandSpec = <Name extends string, R, E, A>(command: Command.Command<Name, R, E, A>): CommandSpec => {
  const [self, ...options] = flatten(Command.getUsage(command))
  return { name: self!.name, options }
}
