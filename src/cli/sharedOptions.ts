/** Options that several commands share, and the link from every option to its entry in docs.ts. */
import { HelpDoc, Options, ValidationError } from "@effect/cli"
import { Duration, Effect, Either, Option } from "effect"
import { resolve } from "node:path"
import { logFormats } from "../log/logger.js"
import { parseGoDuration } from "../time/goDuration.js"
import { optionDocs } from "./docs.js"

const docOf = (name: string) => optionDocs[`--${name}`]

/** Gives the option its meaning from docs.ts, which shell completions show (sipid's help reads the table itself). */
export const documented = <A>(option: Options.Options<A>): Options.Options<A> =>
  Options.withDescription(option, optionDocs[Option.getOrElse(Options.getIdentifier(option), () => "")]?.meaning ?? "")

export const pidFile = Options.text("pid-file").pipe(
  Options.withPseudoName("FILE"),
  Options.mapEffect((path) =>
    path.length === 0 || path.endsWith("/")
      ? Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--pid-file "${path}" must name a file, not a directory`)))
      : Effect.succeed(resolve(path))
  ),
  documented
)

export const logFormat = Options.choice("log-format", logFormats).pipe(Options.withDefault("text" as const), documented)

const parseDuration = (name: string) =>
  Options.mapEffect((text: string) =>
    Either.match(parseGoDuration(text), {
      onLeft: (error) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${name}: ${error.message}`))),
      onRight: (duration): Effect.Effect<Duration.Duration> => Effect.succeed(duration)
    })
  )

const durationText = (name: string) => Options.text(name).pipe(Options.withPseudoName("DURATION"))

/** A duration option in Go's syntax (`500ms`, `10s`, `1m30s`). */
export const goDuration = (name: string) => durationText(name).pipe(parseDuration(name), documented)

/** The same, with the default docs.ts gives, read like a value the user typed. */
export const goDurationWithDefault = (name: string) =>
  durationText(name).pipe(Options.withDefault(docOf(name)?.default ?? ""), parseDuration(name), documented)
