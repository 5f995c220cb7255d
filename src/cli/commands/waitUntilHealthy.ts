import { Command, Options } from "@effect/cli"
import { Duration, Effect, Option } from "effect"
import { runCommand } from "../runCommand.js"
import { goDuration, logFormat } from "../sharedOptions.js"

const url = Options.text("url").pipe(
  Options.withPseudoName("URL"),
  Options.withDescription("The health endpoint, http:// or https://, e.g. https://127.0.0.1:58074/healthcheck")
)

const timeout = goDuration("timeout").pipe(
  Options.withDefault(Duration.minutes(1)),
  Options.withDescription("Give up after this long (Go syntax: 500ms, 10s, 1m30s; default 1m); no probe runs past it")
)

const pollingFrequency = goDuration("polling-frequency").pipe(
  Options.withDefault(Duration.seconds(5)),
  Options.withDescription("Wait this long after a failed probe before the next one (default 5s); the first probe starts at once")
)

const requestTimeout = goDuration("request-timeout").pipe(
  Options.withDefault(Duration.seconds(5)),
  Options.withDescription("Time limit of one probe: connect, TLS, headers and the body's first 4 KiB, all sipid reads (default 5s, never past --timeout)")
)

const expectStatus = Options.text("expect-status").pipe(
  Options.withPseudoName("CODE|FROM-TO"),
  Options.withDefault("200"),
  Options.withDescription("The healthy status code or range (default 200; e.g. 200-399), after following up to 10 redirects")
)

/** The options that may be given more than once; any other given twice is a usage error. */
export const repeatableOptions = ["--header", "--ca-cert"]

const header = Options.text("header").pipe(
  Options.withPseudoName("'NAME: VALUE'"),
  Options.repeated,
  Options.withDescription("An extra request header, 'Name: value' (repeatable)")
)

const caCert = Options.file("ca-cert").pipe(
  Options.withPseudoName("FILE"),
  Options.repeated,
  Options.withDescription("A PEM CA certificate to trust besides the system roots (repeatable)")
)

const clientCert = Options.file("client-cert").pipe(
  Options.withPseudoName("FILE"),
  Options.optional,
  Options.withDescription("A PEM client certificate for mutual TLS (with --client-key)")
)

const clientKey = Options.file("client-key").pipe(
  Options.withPseudoName("FILE"),
  Options.optional,
  Options.withDescription("The PEM private key of --client-cert")
)

const insecure = Options.boolean("insecure").pipe(
  Options.withDescription("Do not verify the server's certificate (logs a warning); prefer --ca-cert")
)

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
).pipe(
  Command.withDescription(
    "Probe an HTTP(S) endpoint at once and then every polling period until it answers with an expected status, or give up by the deadline saying why (exit 1). Loopback is never proxied."
  )
)
