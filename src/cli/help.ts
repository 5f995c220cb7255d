/**
 * sipid's help, in the style of the tools it sits beside (start-stop-daemon,
 * coreutils): plain text, 80 columns, each command's on one screen, ending
 * with its exit codes. Built from the spec (commands.ts), so nothing is
 * written twice.
 */
import { globalOptions } from "./commands.js"
import { ExitCode, signalExitCode } from "./exitCodes.js"
import { type CommandSpec, type OptionSpec, optionsOf, trailingName } from "./spec.js"

type AnyOption = OptionSpec<unknown>

const width = 80
/** Where option meanings start; a longer option name puts its meaning on the next line. */
const meaningColumn = 32

/** `words` in lines of at most 80 columns, every line after the first indented by `indent`; a word is never split. */
const wrapWords = (words: ReadonlyArray<string>, indent: number, firstIndent = indent): Array<string> => {
  const lines: Array<string> = []
  let line = " ".repeat(firstIndent)
  let empty = true
  for (const word of words) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line)
      line = " ".repeat(indent)
      empty = true
    }
    line += (empty ? "" : " ") + word
    empty = false
  }
  return [...lines, line]
}

const wrap = (text: string, indent: number, firstIndent = indent) => wrapWords(text.split(" "), indent, firstIndent)

export const label = (option: AnyOption) => (option.placeholder === undefined ? option.name : `${option.name} ${option.placeholder}`)

/** `--pid PID`, `[--grace DURATION]`, `[--header 'NAME: VALUE']...` */
export const usageOf = (option: AnyOption) =>
  option.required ? label(option) : `[${label(option)}]${option.repeatable ? "..." : ""}`

/** What an option does, with "required", "repeatable" or its default. */
export const meaningOf = (option: AnyOption) => {
  const note = option.required
    ? "required"
    : option.repeatable
    ? "repeatable"
    : option.defaultText !== undefined
    ? `default ${option.defaultText}`
    : undefined
  return note === undefined ? option.meaning : `${option.meaning} (${note})`
}

/** A two-column row: `term` indented by 2, `text` at `column`, wrapped under itself. */
const row = (term: string, text: string, column: number): Array<string> => {
  const head = `  ${term}`
  if (head.length + 2 > column) return [head, ...wrap(text, column)]
  const [first, ...more] = wrap(text, column)
  return [head.padEnd(column) + first!.trimStart(), ...more]
}

const commandColumn = (commands: ReadonlyArray<CommandSpec>) => Math.max(...commands.map(({ name }) => name.length)) + 4

const commandList = (commands: ReadonlyArray<CommandSpec>) =>
  commands.flatMap(({ name, summary }) => row(name, summary, commandColumn(commands)))

/** `sipid` alone: what to type next, on stderr. */
export const shortUsage = (commands: ReadonlyArray<CommandSpec>): string =>
  ["usage: sipid COMMAND [OPTIONS]", ...commandList(commands), "see sipid COMMAND --help, or sipid --help for the common options"].join("\n") + "\n"

/** `--log-level LEVEL`, `-h, --help`: a choice's placeholder is its own word here, its values are in the meaning. */
const globalLabel = (option: AnyOption) =>
  option.name === "--help" ? "-h, --help" : option.placeholder === undefined ? option.name : `${option.name} ${option.placeholder}`

/** `sipid --help`. */
export const topHelp = (commands: ReadonlyArray<CommandSpec>, version: string): string =>
  [
    `sipid ${version}: pidfiles for BOSH jobs under monit, done safely`,
    "",
    "usage: sipid COMMAND [OPTIONS]",
    "",
    "Commands:",
    ...commandList(commands),
    "",
    "Options of every command:",
    ...globalOptions.flatMap((option) => row(globalLabel(option), option.meaning, 24)),
    "",
    ...wrap(
      `Exit codes: ${ExitCode.ok} done, ${ExitCode.refused} refused, ${ExitCode.usage} usage error, ${ExitCode.locked} pidfile locked, ` +
        `${ExitCode.invalidPidfile} invalid pidfile, ${ExitCode.system} system error, 128+N stopped by signal N (${signalExitCode.SIGTERM} SIGTERM); ` +
        `run: ${ExitCode.notExecutable} COMMAND not executable, ${ExitCode.notFound} not found; status answers with LSB codes.`,
      0
    )
  ].join("\n") + "\n"

/** The options under their headings, in the spec's order: a run of options of one group is a section. */
export const sections = (options: ReadonlyArray<AnyOption>): Array<readonly [string | undefined, Array<AnyOption>]> =>
  options.reduce<Array<readonly [string | undefined, Array<AnyOption>]>>((all, option) => {
    const last = all.at(-1)
    if (last !== undefined && last[0] === option.group) last[1].push(option)
    else all.push([option.group, [option]])
    return all
  }, [])

/** `usage: sipid COMMAND` and `words`, wrapped. */
const usageLines = (command: CommandSpec, words: ReadonlyArray<string>) => wrapWords(["usage: sipid", command.name, ...words], 2, 0)

/** The required options, `[OPTIONS]` for the rest, and the words after `--`: a usage line for a command with many options. */
const shortUsageWords = (command: CommandSpec) => {
  const options = optionsOf(command)
  const trailingWords = options.filter((option) => option.name === trailingName)
  return [...options.filter((option) => option.required && !trailingWords.includes(option)).map(usageOf), "[OPTIONS]", ...trailingWords.map(usageOf)]
}

/** The most lines a command's help may take: one terminal screen. */
export const screenLines = 26

/** Where exit codes' meanings start: after the widest code ("126, 127"), at least 12. */
const codeColumn = (command: CommandSpec) => Math.max(12, ...command.exitCodes.map(([code]) => String(code).length + 4))

/**
 * `sipid COMMAND --help`: a screen of 80 columns. The usage line lists every
 * option, unless the help would then take more than a screen (run's many
 * options): then `[OPTIONS]` stands for those listed below it. The words
 * after `--` are in the usage line only.
 */
export const commandHelp = (command: CommandSpec): string => {
  const full = helpWith(command, usageLines(command, optionsOf(command).map(usageOf)))
  return full.length <= screenLines ? `${full.join("\n")}\n` : `${helpWith(command, usageLines(command, shortUsageWords(command))).join("\n")}\n`
}

const helpWith = (command: CommandSpec, usage: ReadonlyArray<string>): ReadonlyArray<string> => {
  const options = optionsOf(command).filter((option) => option.name !== trailingName)
  const column = Math.min(meaningColumn, Math.max(...options.map((option) => label(option).length)) + 4)
  return [
    ...usage,
    ...wrap(command.description, 0),
    ...sections(options).flatMap(([group, members]) => ["", `${group ?? "Options"}:`, ...members.flatMap((option) => row(label(option), meaningOf(option), column))]),
    "",
    "Exit codes:",
    ...command.exitCodes.flatMap(([code, meaning]) => row(String(code), meaning, codeColumn(command))),
    "",
    "--log-level, --help and the other options of every command: see sipid --help."
  ]
}
