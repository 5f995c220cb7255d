/**
 * What sipid leaves to @effect/cli: shell completion scripts and the
 * wizard. Its command is built from the same spec as everything else, and
 * a command line the wizard assembles runs through sipid's own parser.
 * Loaded only for `--completions` and `--wizard`: @effect/cli's cold start
 * costs more than a whole claim.
 */
import { Args, Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Option } from "effect"
import type { LogFormat } from "../log/logger.js"
import { ExitCode, signalExitCode } from "./exitCodes.js"
import { ExitStatus, reportUsageError } from "./runCommand.js"
import { type CommandSpec, type OptionSpec, optionsOf, trailingOf } from "./spec.js"

type AnyOption = OptionSpec<unknown>

/** One option as @effect/cli declares it; sipid's parser applies defaults and parses values, so every value is text here. */
const effectOption = (option: AnyOption): Options.Options<unknown> => {
  const name = option.name.slice(2)
  if (option.placeholder === undefined) return Options.withDescription(Options.boolean(name), option.meaning)
  const value = option.choices === undefined
    ? Options.withPseudoName(Options.text(name), option.placeholder)
    : Options.choice(name, option.choices)
  const described = Options.withDescription(value, option.meaning)
  return option.required ? described : option.repeatable ? Options.repeated(described) : Options.optional(described)
}

/** @effect/cli's values back into the command line they stand for. */
const tokensOf = (option: AnyOption, value: unknown): ReadonlyArray<string> =>
  value === true
    ? [option.name]
    : typeof value === "string"
    ? [option.name, value]
    : Array.isArray(value)
    ? value.flatMap((one) => [option.name, String(one)])
    : Option.isOption(value) && Option.isSome(value)
    ? [option.name, String(value.value)]
    : []

/** The words after `--` as @effect/cli's arguments: at least one, the command. */
const effectTrailing = (option: AnyOption) => Args.withDescription(Args.atLeast(Args.text({ name: "COMMAND" }), 1), option.meaning)

const effectCommand = (command: CommandSpec, run: (argv: ReadonlyArray<string>) => Effect.Effect<number>) => {
  const options = optionsOf(command).filter((option) => option !== trailingOf(command))
  const trailing = trailingOf(command)
  const declared = Object.fromEntries(options.map((option, index) => [String(index), effectOption(option)]))
  const config = trailing === undefined ? declared : { ...declared, trailing: effectTrailing(trailing) }
  return Command.make(command.name, config, (values: Record<string, unknown>) =>
    Effect.flatMap(
      run([
        command.name,
        ...options.flatMap((option, index) => tokensOf(option, values[String(index)])),
        ...(Array.isArray(values["trailing"]) ? ["--", ...values["trailing"].map(String)] : [])
      ]),
      (code) => (code === ExitCode.ok ? Effect.void : Effect.fail(new ExitStatus({ code })))
    )).pipe(Command.withDescription(command.summary))
}

/**
 * @effect/cli prints each parse error itself, on stderr; sipid reports it as
 * its own log line instead. Its other output (completion scripts, the wizard) stays.
 */
const withoutCliErrorOutput = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.consoleWith((console) => Effect.withConsole(effect, { ...console, error: () => Effect.void }))

const ansi = /\u001b\[[0-9;]*m/g

/** A value @effect/cli refused, as the one line it would have printed. */
const problemOf = (error: ValidationError.ValidationError): string =>
  HelpDoc.toAnsiText(error.error).replace(ansi, "").trim().split(/\n+/).join("; ")

/** What @effect/cli prints when Ctrl-C ends its wizard, which it then counts a success. */
const wizardQuit = "Quitting wizard mode"

export interface BuiltIn {
  readonly argv: ReadonlyArray<string>
  readonly command: string | undefined
  readonly commands: ReadonlyArray<CommandSpec>
  readonly version: string
  readonly logFormat: LogFormat
  /** Runs a command line through sipid's own parser: where the wizard's line goes. */
  readonly run: (argv: ReadonlyArray<string>) => Effect.Effect<number>
}

/** `--completions SHELL` or `--wizard`, answered by @effect/cli; the wizard exits 130 when Ctrl-C ends it, as a command stopped by SIGINT does. */
export const runBuiltIn = ({ argv, command, commands, logFormat, run, version }: BuiltIn): Effect.Effect<number> =>
  Effect.suspend(() => {
    let quit = false
    const root = Command.make("sipid").pipe(Command.withSubcommands(commands.map((spec) => effectCommand(spec, run)) as [Command.Command<string, never, ExitStatus, unknown>]))
    return Command.run(root, { name: "sipid", version })(["node", "sipid", ...argv]).pipe(
      Effect.as(ExitCode.ok as number),
      Effect.catchAll((error) =>
        error instanceof ExitStatus
          ? Effect.succeed(error.code)
          : ValidationError.isValidationError(error)
          ? reportUsageError(command, problemOf(error), logFormat)
          : // What is left comes from @effect/cli's own machinery, such as a prompt quit with Ctrl-C.
            reportUsageError(command, String(error), logFormat)
      ),
      withoutCliErrorOutput,
      (effect) =>
        Effect.consoleWith((console) =>
          Effect.withConsole(effect, {
            ...console,
            log: (...args) => {
              quit ||= args.some((arg) => String(arg).includes(wizardQuit))
              return console.log(...args)
            }
          })
        ),
      Effect.map((code) => (quit ? signalExitCode.SIGINT : code)),
      Effect.provide(NodeContext.layer)
    )
  })
