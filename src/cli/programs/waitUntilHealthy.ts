import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { runCommand } from "../runCommand.js"
import { commandDocs, optionDocs } from "../docs.js"
import { documented, goDurationWithDefault, logFormat } from "../sharedOptions.js"

const url = Options.text("url").pipe(Options.withPseudoName("URL"), documented)

const timeout = goDurationWithDefault("timeout")
const pollingFrequency = goDurationWithDefault("polling-frequency")
const requestTimeout = goDurationWithDefault("request-timeout")

const expectStatus = Options.text("expect-status").pipe(
  Options.withPseudoName("CODE|FROM-TO"),
  Options.withDefault(optionDocs["--expect-status"]!.default!),
  documented
)

const header = Options.text("header").pipe(Options.withPseudoName("'NAME: VALUE'"), Options.repeated, documented)

const caCert = Options.file("ca-cert").pipe(Options.withPseudoName("FILE"), Options.repeated, documented)

const clientCert = Options.file("client-cert").pipe(Options.withPseudoName("FILE"), Options.optional, documented)

const clientKey = Options.file("client-key").pipe(Options.withPseudoName("FILE"), Options.optional, documented)

const insecure = Options.boolean("insecure").pipe(documented)

export const waitUntilHealthyCommand = Command.make(
  "wait-until-healthy",
  { url, timeout, pollingFrequency, requestTimeout, expectStatus, header, caCert, clientCert, clientKey, insecure, logFormat },
  (options) =>
    runCommand(
      { command: "wait-until-healthy", logFormat: options.logFormat },
      Effect.gen(function*() {
        // undici and the HTTP client are evaluated only here (esbuild wraps the import lazily), so other commands start faster.
        const health = yield* Effect.promise(() => import("../../health/run.js"))
        yield* health.run({
          ...options,
          headers: options.header,
          caCerts: options.caCert,
          clientCert: Option.getOrUndefined(options.clientCert),
          clientKey: Option.getOrUndefined(options.clientKey),
          env: process.env
        })
      })
    )
).pipe(Command.withDescription(commandDocs["wait-until-healthy"]!.summary))
