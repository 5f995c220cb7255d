/**
 * Reads the command line against the spec (commands.ts): no arguments,
 * help, the version, and every mistake (an unknown command or option, a
 * missing value or option, a bad choice, an option given twice, a value its
 * option refuses), each as one sentence with a suggestion; or the command
 * to run with its options' values. @effect/cli is left only what sipid
 * does not do itself: completion scripts and the wizard.
 */
import { Data, Either } from "effect"
import type { LogFormat } from "../log/logger.js"
import { globalOptions } from "./commands.js"
import { type CommandSpec, type OptionSpec, optionsOf, trailingName, trailingOf } from "./spec.js"
import { nearest } from "./suggest.js"

export type Route = Data.TaggedEnum<{
  /** No command: print the short usage, exit 2. */
  ShortUsage: {}
  Version: {}
  Help: { readonly command: string | undefined }
  /** `--completions SHELL` or `--wizard`: @effect/cli's own. */
  BuiltIn: { readonly command: string | undefined }
  Invalid: { readonly command: string | undefined; readonly problem: string }
  /** Checked: run `command` with its options' values (by the keys its spec gives them), at `--log-level` if given. */
  Run: { readonly command: string; readonly values: Readonly<Record<string, unknown>>; readonly logLevel: string | undefined }
}>
export const Route = Data.taggedEnum<Route>()

type AnyOption = OptionSpec<unknown>

/** The longest piece of a token a message repeats: a runaway shell variable must not flood the log. */
const shownLength = 40
const clipped = (word: string) => (word.length > shownLength ? `${word.slice(0, shownLength)}…` : word)
const quoted = (word: string) => JSON.stringify(clipped(word))

/** Spellings of other tools that sipid spells another way. */
const aliases = new Map([["-v", "--version"], ["-V", "--version"], ["-help", "--help"], ["-?", "--help"]])

const didYouMean = (word: string, candidates: ReadonlyArray<string>) => {
  const near = aliases.get(word) ?? nearest(word, candidates)
  return near === undefined ? "" : `; did you mean \`${near}\`?`
}

/**
 * A token that starts with `-` is never an option's value, so an empty shell
 * variable (`--pid-file $PIDFILE --grace=30s`) cannot turn the next option
 * into a file name. Only a `signed` option (`--nice -5`) takes a negative
 * number, and a file whose name starts with `-` can be written `./-x`.
 */
const looksLikeOption = (token: string) => token.startsWith("-")

/** `-1s`, `-5`: what a negative value looks like, which only a `signed` option takes. */
const looksNegative = (token: string) => /^-[0-9.]/.test(token)

const isValueOf = (option: AnyOption, token: string) => !looksLikeOption(token) || (option.signed === true && looksNegative(token))

const needsValue = (option: AnyOption, instead: string | undefined) =>
  `${option.name} needs a value (${option.placeholder})${
    instead === undefined
      ? ""
      : instead === ""
      ? ", not an empty one"
      : looksNegative(instead)
      ? `; ${quoted(instead)} is negative, and ${option.name} takes no negative value`
      : `, not the option ${quoted(instead)}`
  }`

const notAChoice = (option: AnyOption, choices: ReadonlyArray<string>, value: string) =>
  `${option.name}: ${quoted(value)} is not one of ${choices.join(", ")}${didYouMean(value, choices)}`

/** `--opt=value` as a name and an inline value; `-h=x` and the like are no options of sipid's. */
const splitInline = (token: string): readonly [name: string, inline: string | undefined] => {
  const equals = token.startsWith("--") ? token.indexOf("=") : -1
  return equals < 0 ? [token, undefined] : [token.slice(0, equals), token.slice(equals + 1)]
}

/** The options that are named on the command line, not the words after `--`. */
const namedOptionsOf = (command: CommandSpec) => optionsOf(command).filter(({ name }) => name !== trailingName)

/** A word where an option or the command should be: a typo, or an option whose dash a word processor made long. */
const strayWord = (token: string, command: CommandSpec | undefined, commands: ReadonlyArray<CommandSpec>) => {
  const dashed = token.replace(/^[\u2012-\u2015\u2212]+/, "--")
  if (dashed !== token) {
    const options = [...(command === undefined ? commands.flatMap(namedOptionsOf) : namedOptionsOf(command)), ...globalOptions]
    return `${quoted(token)} starts with a long dash, not --${didYouMean(dashed, [...new Set(options.map(({ name }) => name))])}`
  }
  return command === undefined
    ? `unknown command ${quoted(token)}${didYouMean(token, commands.map(({ name }) => name))}`
    : trailingOf(command) === undefined
    ? `unexpected argument ${quoted(token)}: sipid takes options only`
    : `unexpected argument ${quoted(token)}: the job's command goes last, after --, as in sipid ${command.name} OPTIONS -- ${token}`
}

/**
 * What to do with `argv` (without node and script). It is read left to
 * right, and the first thing that decides wins: a mistake, `--help` (or
 * `-h`, or `help`) or `--version`. So `--version` or `--help` after a
 * mistake does not hide the mistake, and after `--help` only the command
 * name still counts. Values are decoded once the line is known to be well
 * formed, in the order the command's spec lists its options.
 */
export const route = (argv: ReadonlyArray<string>, commands: ReadonlyArray<CommandSpec>): Route => {
  let command: CommandSpec | undefined
  // Described only when the route is Invalid: only the first mistake costs a suggestion.
  let problem: (() => string) | undefined
  let builtIn = false
  let help = false
  let logLevel: string | undefined
  /** What each option was given, in order: its values, or an empty string per occurrence of a flag. */
  const given = new Map<AnyOption, Array<string>>()
  const fail = (describe: () => string) => (problem ??= describe)
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index]!
    const decided = problem !== undefined || help
    if (token === trailingName) {
      // Everything after it is the job's, never sipid's: its own --help, --log-format or --.
      const rest = command === undefined ? undefined : trailingOf(command)
      if (rest !== undefined) {
        given.set(rest, argv.slice(index + 1))
        break
      }
      if (!decided) fail(() => "unexpected \"--\": sipid takes options only, with nothing after them")
      continue
    }
    if (!looksLikeOption(token)) {
      const named = command === undefined ? commands.find(({ name }) => name === token) : undefined
      if (named !== undefined) command = named
      else if (decided) continue
      else if (token === "help") help = true
      else {
        const before = command
        fail(() => strayWord(token, before, commands))
      }
      continue
    }
    if (decided) continue
    const [name, inline] = splitInline(token)
    const known = [...(command === undefined ? [] : namedOptionsOf(command)), ...globalOptions]
    const option = known.find((candidate) => candidate.name === (name === "-h" ? "--help" : name))
    if (option === undefined) {
      const owner = command === undefined ? commands.find((candidate) => namedOptionsOf(candidate).some((option) => option.name === name)) : undefined
      const onCommand = command
      fail(() =>
        owner !== undefined
          ? // By now `command` is the one named later on the line, if any.
            `${name} goes after COMMAND, as in sipid ${(command ?? owner).name} ${name} ...`
          : `unknown option ${clipped(name)}${onCommand ? ` for ${onCommand.name}` : ""}${didYouMean(name, known.map(({ name }) => name))}`
      )
      continue
    }
    if (option.placeholder === undefined && inline !== undefined) {
      fail(() => `${option.name} takes no value; drop ${quoted(`=${inline}`)}`)
      continue
    }
    if (option.name === "--help") {
      help = true
      continue
    }
    if (option.name === "--version") return Route.Version()
    const values = given.get(option) ?? []
    if (values.length > 0 && !option.repeatable) fail(() => `${option.name} is given more than once; give it once`)
    given.set(option, values)
    if (option.name === "--completions" || option.name === "--wizard") builtIn = true
    if (option.placeholder === undefined) {
      values.push("")
      continue
    }
    const next = inline === undefined ? argv[index + 1] : undefined
    // Inline too (`--pid-file=--tree`): a value never starts with -.
    const offered = inline ?? next
    const value = offered === undefined || !isValueOf(option, offered) ? undefined : offered
    if (inline === undefined && value !== undefined) index++
    if (value === undefined || value === "") {
      fail(() => needsValue(option, offered))
      continue
    }
    const choices = option.choices
    if (choices !== undefined && !choices.includes(value)) fail(() => notAChoice(option, choices, value))
    values.push(value)
    if (option.name === "--log-level") logLevel = value
  }
  if (problem !== undefined) return Route.Invalid({ command: command?.name, problem: problem() })
  if (help) return Route.Help({ command: command?.name })
  if (builtIn) return Route.BuiltIn({ command: command?.name })
  if (command === undefined) return Route.ShortUsage()
  const values: Record<string, unknown> = {}
  for (const [key, option] of Object.entries(command.options)) {
    const texts = given.get(option) ?? []
    if (option.required && texts.length === 0) {
      return Route.Invalid({ command: command.name, problem: `missing ${option.name} ${option.placeholder ?? ""}`.trimEnd() })
    }
    const decoded = option.decode(texts)
    if (Either.isLeft(decoded)) return Route.Invalid({ command: command.name, problem: `${option.name}: ${decoded.left}` })
    values[key] = decoded.right
  }
  return Route.Run({ command: command.name, values, logLevel })
}

/** sipid's part of `argv`: what comes before a `--` (after it, the job's command and arguments). */
export const ownArguments = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const end = argv.indexOf(trailingName)
  return end < 0 ? argv : argv.slice(0, end)
}

/** The `--log-format` asked for, so that a usage error comes in it too; text unless json is given. */
export const requestedLogFormat = (all: ReadonlyArray<string>): LogFormat => {
  const argv = ownArguments(all)
  const index = argv.lastIndexOf("--log-format")
  const value = index >= 0 ? argv[index + 1] : [...argv].reverse().find((token) => token.startsWith("--log-format="))?.slice("--log-format=".length)
  return value === "json" ? "json" : "text"
}
