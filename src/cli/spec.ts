/**
 * The shape of sipid's command line as data: each command's options with
 * their meaning, default and parser, its summary and exit codes. One spec
 * (commands.ts) drives everything the command line does: the parser that
 * runs a command (parse.ts), the help (help.ts), and the @effect/cli
 * command behind shell completions and the wizard (effectCli.ts).
 */
import { Either, Option } from "effect"

export interface OptionSpec<A> {
  /** `--grace` */
  readonly name: string
  /** `DURATION`, or `text|json` for a choice; undefined for a flag, which takes no value. */
  readonly placeholder: string | undefined
  /** The accepted values of a choice option. */
  readonly choices: ReadonlyArray<string> | undefined
  readonly required: boolean
  readonly repeatable: boolean
  /** One line for the help: what the option does. */
  readonly meaning: string
  /** The value used when the option is not given, as the user would type it; shown in the help. */
  readonly defaultText: string | undefined
  /** The heading the help lists it under, for a command with too many options for one list (see `grouped`). */
  readonly group: string | undefined
  /** Takes a negative number (`--nice -5`): a value like `-5` is then its value, not an option. */
  readonly signed?: boolean
  /**
   * The value from what the command line gave (each occurrence's text, a
   * flag's empty), or why it is wrong: a sentence the parser prefixes with
   * the option's name.
   */
  readonly decode: (given: ReadonlyArray<string>) => Either.Either<A, string>
}

/** Parses one value of an option: the value, or what is wrong with it. */
export type Parse<A> = (text: string) => Either.Either<A, string>

export const asText: Parse<string> = Either.right

interface Described {
  readonly meaning: string
}

const spec = <A>(
  fields: Omit<OptionSpec<A>, "choices" | "required" | "repeatable" | "defaultText" | "group"> & Partial<OptionSpec<A>>
): OptionSpec<A> => ({
  choices: undefined,
  required: false,
  repeatable: false,
  defaultText: undefined,
  group: undefined,
  ...fields
})

/** Present or not. */
export const flag = (name: string, { meaning }: Described): OptionSpec<boolean> =>
  spec({ name, placeholder: undefined, meaning, decode: (given) => Either.right(given.length > 0) })

/** Must be given once. */
export const required = <A>(name: string, placeholder: string, parse: Parse<A>, { meaning }: Described): OptionSpec<A> =>
  spec({ name, placeholder, meaning, required: true, decode: (given) => parse(given[0]!) })

/** May be given once; `defaultText` only tells the help what the program does without it. */
export const optional = <A>(
  name: string,
  placeholder: string,
  parse: Parse<A>,
  { defaultText, meaning, signed }: Described & { readonly defaultText?: string; readonly signed?: boolean }
): OptionSpec<Option.Option<A>> =>
  spec({
    name,
    placeholder,
    meaning,
    defaultText,
    ...(signed && { signed }),
    decode: (given) => (given.length === 0 ? Either.right(Option.none()) : Either.map(parse(given[0]!), Option.some))
  })

/** May be given once; `defaultText` is parsed like a value the user typed. */
export const withDefault = <A>(
  name: string,
  placeholder: string,
  parse: Parse<A>,
  { defaultText, meaning }: Described & { readonly defaultText: string }
): OptionSpec<A> => spec({ name, placeholder, meaning, defaultText, decode: (given) => parse(given[0] ?? defaultText) })

/** May be given any number of times. */
export const repeated = <A>(name: string, placeholder: string, parse: Parse<A>, { meaning }: Described): OptionSpec<ReadonlyArray<A>> =>
  spec({ name, placeholder, meaning, repeatable: true, decode: (given) => Either.all(given.map(parse)) })

/** One of a few words, `defaultText` when not given. */
export const choice = <const C extends string>(
  name: string,
  choices: ReadonlyArray<C>,
  { defaultText, meaning }: Described & { readonly defaultText: C }
): OptionSpec<C> =>
  spec({ name, placeholder: choices.join("|"), choices, meaning, defaultText, decode: (given) => Either.right((given[0] ?? defaultText) as C) })

/** What follows `--`: a command and its arguments, whatever they look like (`run`'s; no other command takes words). */
export const trailing = (placeholder: string, { meaning }: Described): OptionSpec<readonly [string, ...Array<string>]> =>
  spec({
    name: trailingName,
    placeholder,
    meaning,
    required: true,
    decode: ([first, ...rest]) => (first === undefined || first === "" ? Either.left(`needs ${placeholder}, not an empty word`) : Either.right([first, ...rest]))
  })

/** The name under which a command's trailing words are an option: `--` itself, as the usage line writes it. */
export const trailingName = "--"

export type Options = Record<string, OptionSpec<unknown>>

/** `options` listed by the help under the heading `group`. */
export const grouped = <O extends Options>(group: string, options: O): O =>
  Object.fromEntries(Object.entries(options).map(([key, option]) => [key, { ...option, group }])) as O

/** The parsed values of a command's options, by the keys the command gave them. */
export type Values<O extends Options> = { readonly [K in keyof O]: O[K] extends OptionSpec<infer A> ? A : never }

/** An exit code (or a few, "143, 130") and what it means. */
export type ExitCodeDoc = readonly [code: number | string, meaning: string]

export interface CommandSpec<O extends Options = Options> {
  readonly name: string
  /** One line for the command list. */
  readonly summary: string
  /** A sentence or two at the top of the command's help. */
  readonly description: string
  readonly exitCodes: ReadonlyArray<ExitCodeDoc>
  readonly options: O
}

/** The options of `command` in the order its spec lists them (its trailing words last). */
export const optionsOf = (command: CommandSpec): ReadonlyArray<OptionSpec<unknown>> => Object.values(command.options)

/** The option that takes `command`'s words after `--`, if it takes any. */
export const trailingOf = (command: CommandSpec): OptionSpec<unknown> | undefined => optionsOf(command).find(({ name }) => name === trailingName)
