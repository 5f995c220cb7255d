/**
 * Reads the command line before @effect/cli does, to answer what it would
 * answer badly: no arguments, help, the version, and every structural
 * mistake (an unknown command or option, a missing value or option, a bad
 * choice, an option given twice: @effect/cli reads the first of two and then
 * misreads the next option), each as one sentence with a suggestion.
 * Values (durations, paths, PIDs) are still parsed by the command's options.
 */
import { Data, LogLevel } from "effect"
import type { LogFormat } from "../log/logger.js"
import type { CommandSpec, OptionSpec } from "./commandSpec.js"
import { nearest } from "./suggest.js"

export type Route = Data.TaggedEnum<{
  /** No command: print the short usage, exit 2. */
  ShortUsage: {}
  Version: {}
  Help: { readonly command: string | undefined }
  /** `--completions SHELL` or `--wizard`: @effect/cli's own. */
  BuiltIn: {}
  Invalid: { readonly command: string | undefined; readonly problem: string }
  /** Checked: run `argv` (with `--log-level` moved where @effect/cli takes it). */
  Run: { readonly command: string; readonly argv: ReadonlyArray<string> }
}>
export const Route = Data.taggedEnum<Route>()

/** @effect/cli's `--log-level` values. */
export const logLevels = LogLevel.allLevels.map((level) => level._tag.toLowerCase())

const globalOption = (name: string, placeholder?: string, choices?: ReadonlyArray<string>): OptionSpec => ({
  name,
  placeholder,
  choices,
  required: false,
  repeatable: false
})

/** Options of sipid itself, taken before or after the command; the last two are @effect/cli's. */
export const globalOptions: ReadonlyArray<OptionSpec> = [
  globalOption("--log-level", "LEVEL", logLevels),
  globalOption("--help"),
  globalOption("--version"),
  globalOption("--completions", "SHELL", ["sh", "bash", "fish", "zsh"]),
  globalOption("--wizard")
]

const quoted = (word: string) => JSON.stringify(word)
const didYouMean = (word: string, candidates: ReadonlyArray<string>) => {
  const near = nearest(word, candidates)
  return near === undefined ? "" : `; did you mean \`${near}\`?`
}

const checkValue = (option: OptionSpec, value: string | undefined): string | undefined => {
  if (value === undefined) return `${option.name} needs a value (${option.placeholder})`
  if (option.choices !== undefined && !option.choices.includes(value)) {
    return `${option.name}: ${quoted(value)} is not one of ${option.choices.join(", ")}${didYouMean(value, option.choices)}`
  }
  return undefined
}

/**
 * What to do with `argv` (without node and script). The first mistake wins;
 * `--help` anywhere wins over any mistake.
 */
export const route = (argv: ReadonlyArray<string>, commands: ReadonlyArray<CommandSpec>): Route => {
  let command: CommandSpec | undefined
  let problem: string | undefined
  let builtIn = false
  let help = false
  const given = new Set<string>()
  const logLevel: Array<string> = []
  const rest: Array<string> = []
  const fail = (text: string) => (problem ??= text)
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index]!
    if (token === "--help" || token === "-h") {
      help = true
      continue
    }
    if (!token.startsWith("-")) {
      if (command !== undefined) fail(`unexpected argument ${quoted(token)}: sipid takes options only`)
      else {
        command = commands.find(({ name }) => name === token)
        if (command === undefined) fail(`unknown command ${quoted(token)}${didYouMean(token, commands.map(({ name }) => name))}`)
        else rest.push(token)
      }
      continue
    }
    const [name, inline] = token.startsWith("--") && token.includes("=") ? [token.slice(0, token.indexOf("=")), token.slice(token.indexOf("=") + 1)] : [token, undefined]
    const known = [...(command?.options ?? []), ...globalOptions]
    const option = known.find((candidate) => candidate.name === name)
    if (option === undefined) {
      fail(`unknown option ${name}${command ? ` for ${command.name}` : ""}${didYouMean(name, known.map(({ name }) => name))}`)
      continue
    }
    if (option.name === "--version") return Route.Version()
    if (given.has(option.name) && !option.repeatable) fail(`${option.name} is given more than once; give it once`)
    given.add(option.name)
    const takesValue = option.placeholder !== undefined
    const next = argv[index + 1]
    const value = !takesValue ? undefined : inline ?? (next === undefined || known.some((other) => other.name === next) ? undefined : next)
    if (takesValue) {
      const invalid = checkValue(option, value)
      if (invalid !== undefined) fail(invalid)
      if (inline === undefined && value !== undefined) index++
    }
    if (option.name === "--completions" || option.name === "--wizard") builtIn = true
    const tokens = takesValue && inline === undefined && value !== undefined ? [token, value] : [token]
    if (option.name === "--log-level") logLevel.push(...tokens)
    else rest.push(...tokens)
  }
  if (help) return Route.Help({ command: command?.name })
  if (problem !== undefined) return Route.Invalid({ command: command?.name, problem })
  if (builtIn) return Route.BuiltIn()
  if (command === undefined) return Route.ShortUsage()
  const missing = command.options.find((option) => option.required && !given.has(option.name))
  if (missing !== undefined) return Route.Invalid({ command: command.name, problem: `missing ${missing.name} ${missing.placeholder ?? ""}`.trimEnd() })
  // @effect/cli takes its built-in --log-level only before the subcommand.
  return Route.Run({ command: command.name, argv: [...logLevel, ...rest] })
}

/** The `--log-format` asked for, so that a usage error comes in it too; text unless json is given. */
export const requestedLogFormat = (argv: ReadonlyArray<string>): LogFormat => {
  const index = argv.lastIndexOf("--log-format")
  const value = index >= 0 ? argv[index + 1] : [...argv].reverse().find((token) => token.startsWith("--log-format="))?.slice("--log-format=".length)
  return value === "json" ? "json" : "text"
}
