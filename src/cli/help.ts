/**
 * sipid's help, in the style of the tools it sits beside (start-stop-daemon,
 * coreutils): plain text, 80 columns, each command's on one screen, ending
 * with its exit codes. Built from the command definitions (names,
 * placeholders, required or repeatable) and the table in docs.ts (meanings,
 * defaults, exit codes), so nothing is written twice.
 */
import type { CommandSpec, OptionSpec } from "./commandSpec.js"
import { commandDocs, type OptionDoc, optionDocs } from "./docs.js"
import { ExitCode, signalExitCode } from "./exitCodes.js"

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

const docOf = (option: OptionSpec): OptionDoc => {
  const doc = optionDocs[option.name]
  // A defect, caught by the help tests: every option is documented.
  if (doc === undefined) throw new Error(`no help for ${option.name}`)
  return doc
}

const label = (option: OptionSpec) => (option.placeholder === undefined ? option.name : `${option.name} ${option.placeholder}`)

/** `--pid PID`, `[--grace DURATION]`, `[--header 'NAME: VALUE']...` */
const usageOf = (option: OptionSpec) =>
  option.required ? label(option) : `[${label(option)}]${option.repeatable ? "..." : ""}`

const meaningOf = (option: OptionSpec) => {
  const doc = docOf(option)
  const note = option.required ? "required" : option.repeatable ? "repeatable" : doc.default !== undefined ? `default ${doc.default}` : undefined
  return note === undefined ? doc.meaning : `${doc.meaning} (${note})`
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
  commands.flatMap(({ name }) => row(name, commandDocs[name]!.summary, commandColumn(commands)))

/** `sipid` alone: what to type next, on stderr. */
export const shortUsage = (commands: ReadonlyArray<CommandSpec>): string =>
  ["usage: sipid COMMAND [OPTIONS]", ...commandList(commands), "see sipid COMMAND --help, or sipid --help for the common options"].join("\n") + "\n"

const globalRows: ReadonlyArray<readonly [string, string]> = [
  ["--log-level LEVEL", "the least severe log line shown: all, trace, debug, info (default), warning, error, fatal or none; before or after COMMAND"],
  ["-h, --help", "this help; sipid COMMAND --help for a command's options and exit codes"],
  ["--version", "print sipid's version"],
  ["--completions SHELL", "print a completion script for sh, bash, fish or zsh"],
  ["--wizard", "build a command line interactively (needs a terminal)"]
]

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
    ...globalRows.flatMap(([term, text]) => row(term, text, 24)),
    "",
    ...wrap(
      `Exit codes: ${ExitCode.ok} done, ${ExitCode.refused} refused, ${ExitCode.usage} usage error, ${ExitCode.locked} pidfile locked, ` +
        `${ExitCode.invalidPidfile} invalid pidfile, ${ExitCode.system} system error, ${signalExitCode.SIGTERM}/${signalExitCode.SIGINT} stopped by SIGTERM/SIGINT; ` +
        "status answers with LSB codes.",
      0
    )
  ].join("\n") + "\n"

/** `sipid COMMAND --help`: at most a screen of 80 columns. */
export const commandHelp = (command: CommandSpec): string => {
  const doc = commandDocs[command.name]!
  const column = Math.min(meaningColumn, Math.max(...command.options.map((option) => label(option).length)) + 4)
  return [
    ...wrapWords(["usage: sipid", command.name, ...command.options.map(usageOf)], 2, 0),
    ...wrap(doc.description, 0),
    "",
    "Options:",
    ...command.options.flatMap((option) => row(label(option), meaningOf(option), column)),
    "",
    "Exit codes:",
    ...doc.exitCodes.flatMap(([code, meaning]) => row(String(code), meaning, 12)),
    "",
    "--log-level, --help and the other options of every command: see sipid --help."
  ].join("\n") + "\n"
}
