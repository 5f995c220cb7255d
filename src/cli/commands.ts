/**
 * sipid's command line, declared once: every command with its options
 * (meaning, default, parser) and exit codes. The parser, the help, the man
 * page and the @effect/cli command of shell completions are all read from here.
 */
import { Duration, Either, LogLevel } from "effect"
import { isAbsolute, resolve } from "node:path"
import type { InvalidProbeSetting } from "../health/errors.js"
import { parseExpectBody, parseExpectHeader, parseExpectJson, parseExpectStatus } from "../health/checkOptions.js"
import { parseCount, parseHeader, parseTcpAddress, parseUrl } from "../health/options.js"
import { defaults } from "../health/settings.js"
import { type LogFormat, logFormats } from "../log/logger.js"
import { formatGoDuration, parseGoDuration } from "../time/goDuration.js"
import { ExitCode, signalExitCode } from "./exitCodes.js"
import { parseAccountSpec } from "../run/accounts.js"
import { parseLimit, parseNice, parseUmask, parseVariable } from "../run/settings.js"
import {
  asText,
  choice,
  type CommandSpec,
  type ExitCodeDoc,
  flag,
  grouped,
  optional,
  type Options,
  type OptionSpec,
  type Parse,
  repeated,
  required,
  trailing,
  withDefault
} from "./spec.js"

const goDuration: Parse<Duration.Duration> = (text) => Either.mapLeft(parseGoDuration(text), (error) => error.message)

/** A duration a wait can run for: zero would give it no time at all. */
const waitDuration: Parse<Duration.Duration> = (text) =>
  Either.filterOrLeft(goDuration(text), Duration.greaterThan(Duration.zero), () => "must be longer than 0")

const probeSetting = <A>(parse: (text: string) => Either.Either<A, InvalidProbeSetting>): Parse<A> => (text) =>
  Either.mapLeft(parse(text), ({ reason }) => reason)

/**
 * The working directory, unless it was deleted (the release's launcher
 * then moved to / and set SIPID_CWD_DELETED; Node cannot name it at all).
 */
const workingDirectory = (): string | undefined => {
  if (process.env.SIPID_CWD_DELETED === "1") return undefined
  try {
    return process.cwd()
  } catch {
    return undefined
  }
}

/** A file's absolute path: the pidfile, the job's logs. */
const filePath: Parse<string> = (path) => {
  if (path.endsWith("/")) return Either.left(`"${path}" must name a file, not a directory`)
  if (isAbsolute(path)) return Either.right(resolve(path))
  const here = workingDirectory()
  return here === undefined
    ? Either.left(`"${path}" is relative, but the working directory was deleted; give the absolute path`)
    : Either.right(resolve(here, path))
}

/** @effect/cli's `--log-level` values. */
export const logLevels = LogLevel.allLevels.map((level) => level._tag.toLowerCase())

const pidFile = required("--pid-file", "FILE", filePath, { meaning: "the pidfile: /var/vcap/sys/run/JOB/JOB.pid" })
const logFormat = choice("--log-format", logFormats, { meaning: "log lines as text or JSON lines", defaultText: "text" as LogFormat })

const stoppedBySignal: ExitCodeDoc = ["128+N", `stopped early by signal N (TERM ${signalExitCode.SIGTERM}, INT ${signalExitCode.SIGINT}, HUP, QUIT, USR1, USR2)`]
const usage: ExitCodeDoc = [ExitCode.usage, "usage error: a missing, unknown or malformed option"]
/** The codes claim and kill share: both lock the pidfile and refuse one they cannot trust. */
const pidfileTrouble: ReadonlyArray<ExitCodeDoc> = [
  [ExitCode.locked, "locked by a claim or kill, or replaced 20 times while locking: retry"],
  [ExitCode.invalidPidfile, "invalid or untrusted pidfile (content, owner, symlink...); untouched"],
  [ExitCode.system, "any other system error, or /proc/PID hidden by hidepid: run as root"],
  stoppedBySignal
]

const command = <O extends Options>(spec: CommandSpec<O>): CommandSpec<O> => spec

export const claim = command({
  name: "claim",
  summary: "write PID to the pidfile, unless a live process owns it",
  description:
    "Write PID to the pidfile, unless a live process already owns it. Creates the directory, locks the pidfile (flock) and replaces it atomically.",
  exitCodes: [
    [ExitCode.ok, "claimed"],
    [ExitCode.refused, "a live process already owns the pidfile, or (--tree) what it left survived"],
    [ExitCode.usage, "usage error, or --pid is not a running process"],
    ...pidfileTrouble
  ],
  // The PID is checked against this kernel's pid_max when the command runs.
  options: {
    pid: required("--pid", "PID", asText, { meaning: "the job's process, e.g. $$ before exec" }),
    pidFile,
    tree: flag("--tree", { meaning: "first stop what a stale pidfile's job left running" }),
    logFormat
  }
})

export const kill = command({
  name: "kill",
  summary: "stop the pidfile's process, then remove the pidfile",
  description:
    "Stop the process the pidfile names: SIGTERM, wait, (SIGQUIT, wait,) SIGKILL, wait; then remove the pidfile. No pidfile, or a stale one, is success. Durations in Go syntax: 500ms, 10s, 1m30s.",
  exitCodes: [
    [ExitCode.ok, "stopped, or nothing to stop"],
    [ExitCode.refused, "the process (or, with --tree, one of its job) survived; pidfile kept"],
    usage,
    ...pidfileTrouble
  ],
  options: {
    pidFile,
    showStacks: flag("--show-stacks", { meaning: "SIGQUIT after the grace (stack dumps), 2s before KILL" }),
    // Its default, 20s, is defaultSchedule's.
    grace: optional("--grace", "DURATION", goDuration, { meaning: "time from SIGTERM to SIGKILL, e.g. 30s", defaultText: "20s" }),
    retry: optional("--retry", "SCHEDULE", asText, { meaning: "the whole schedule instead, e.g. TERM/20/QUIT/2/KILL/5" }),
    tree: flag("--tree", { meaning: "stop the whole job: descendants, session or group" }),
    treeGrace: optional("--tree-grace", "DURATION", goDuration, { meaning: "the job's grace after the process exits", defaultText: "2s" }),
    logFormat
  }
})

export const status = command({
  name: "status",
  summary: "tell whether the pidfile's process runs (LSB exit codes)",
  description: "Print one line saying whether the pidfile's process is running. Takes no lock and changes nothing.",
  exitCodes: [
    [0, "running"],
    [1, "not running, but the (stale) pidfile exists"],
    usage,
    [3, "not running, no pidfile"],
    [4, "unknown: the pidfile is unreadable or invalid"]
  ],
  options: {
    pidFile,
    tree: flag("--tree", { meaning: "also list the job's processes: what kill --tree would stop now" }),
    logFormat
  }
})

/** The options of wait-until-healthy and wait-until-unhealthy: the same targets, checks and timing; `done` is what ends the wait. */
const waitOptions = (done: "pass" | "fail") => ({
  ...grouped(`Targets (at least one; all must ${done} in the same round)`, {
    url: repeated("--url", "URL", probeSetting(parseUrl), { meaning: "an http:// or https:// endpoint" }),
    tcp: repeated("--tcp", "HOST:PORT", probeSetting(parseTcpAddress), { meaning: "a port to connect to: [::1]:5432" }),
    unixSocket: optional("--unix-socket", "PATH", asText, { meaning: "send the --url requests over this unix socket" }),
    method: choice("--method", ["GET", "HEAD", "POST"], { meaning: "the request method", defaultText: "GET" }),
    header: repeated("--header", "'NAME: VALUE'", probeSetting(parseHeader), { meaning: "an extra request header" })
  }),
  ...grouped("Checks of each --url's answer (all must hold)", {
    expectStatus: withDefault("--expect-status", "LIST", probeSetting(parseExpectStatus), {
      meaning: "healthy statuses: 200-299,401",
      defaultText: "200"
    }),
    expectBody: optional("--expect-body", "REGEX", probeSetting(parseExpectBody), { meaning: "the body's first 64 KiB match it" }),
    expectJson: repeated("--expect-json", "PATH=VALUE", probeSetting(parseExpectJson), { meaning: "a JSON value: db.status=UP" }),
    expectHeader: repeated("--expect-header", "'NAME: REGEX'", probeSetting(parseExpectHeader), { meaning: "a header's value matches" })
  }),
  ...grouped("Timing (durations like 500ms, 10s, 1m30s)", {
    timeout: withDefault("--timeout", "DURATION", waitDuration, { meaning: "give up after this long", defaultText: formatGoDuration(defaults.timeout) }),
    pollingFrequency: withDefault("--polling-frequency", "DURATION", waitDuration, {
      meaning: "pause after each round of probes",
      defaultText: formatGoDuration(defaults.pollingFrequency)
    }),
    requestTimeout: withDefault("--request-timeout", "DURATION", waitDuration, {
      meaning: "time limit of one round",
      defaultText: formatGoDuration(defaults.requestTimeout)
    }),
    successThreshold: withDefault("--success-threshold", "N", probeSetting(parseCount), {
      meaning: done === "pass" ? "rounds in a row that must pass" : "rounds in a row in which all fail",
      defaultText: String(defaults.successThreshold)
    })
  }),
  ...grouped("TLS", {
    caCert: repeated("--ca-cert", "FILE", asText, { meaning: "a PEM CA certificate to trust too" }),
    clientCert: optional("--client-cert", "FILE", asText, { meaning: "a PEM client certificate for mutual TLS" }),
    clientKey: optional("--client-key", "FILE", asText, { meaning: "the PEM key of --client-cert" }),
    insecure: flag("--insecure", { meaning: "skip certificate checks (logs a warning)" })
  }),
  logFormat
})

/** The exit codes both wait commands give for trouble other than their answer. */
const waitTrouble: ReadonlyArray<ExitCodeDoc> = [[ExitCode.usage, "usage error, or an unreadable certificate or key file"], stoppedBySignal]

export const waitUntilHealthy = command({
  name: "wait-until-healthy",
  summary: "probe endpoints until they answer as expected",
  description: "Probe HTTP(S) endpoints and TCP ports until all are healthy, or say why not.",
  exitCodes: [
    [ExitCode.ok, "healthy"],
    [ExitCode.refused, "still unhealthy at the deadline; the last failures are logged"],
    ...waitTrouble
  ],
  options: waitOptions("pass")
})

export const waitUntilUnhealthy = command({
  name: "wait-until-unhealthy",
  summary: "probe endpoints until every one fails (for drains)",
  description: "Probe HTTP(S) endpoints and TCP ports until every one fails its checks, for a drain script; or say which still pass.",
  exitCodes: [
    [ExitCode.ok, "every target failing; the reasons are logged"],
    [ExitCode.refused, "still healthy at the deadline"],
    ...waitTrouble
  ],
  options: waitOptions("fail")
})

export const run = command({
  name: "run",
  summary: "claim the pidfile, then become COMMAND (same PID)",
  description: "Claim the pidfile for sipid's own PID, then become COMMAND (execve): same PID.",
  exitCodes: [
    [ExitCode.ok, "--background: the job runs (without it, sipid becomes the job)"],
    [ExitCode.refused, "a live process owns the pidfile, or a crashed job's survived"],
    [`2-5, 128+N`, "as for claim: usage, locked, invalid pidfile, system error, signal"],
    [`${ExitCode.notExecutable}, ${ExitCode.notFound}`, "COMMAND not executable, not found; pidfile withdrawn"]
  ],
  options: {
    pidFile,
    background: flag("--background", { meaning: "return once the job runs, in a new session" }),
    user: optional("--user", "USER[:GROUP]", parseAccountSpec, { meaning: "run as USER with its groups (or GROUP)" }),
    chdir: optional("--chdir", "DIR", (path) => Either.right(resolve(path)), { meaning: "the job's working directory" }),
    umask: optional("--umask", "MODE", parseUmask, { meaning: "the job's umask, e.g. 027" }),
    limit: repeated("--limit", "NAME=LIMIT", parseLimit, { meaning: "an rlimit: nofile=SOFT[:HARD], core..." }),
    env: repeated("--env", "NAME=VALUE", parseVariable, { meaning: "a variable for the job" }),
    clearEnv: flag("--clear-env", { meaning: "start from an empty environment" }),
    stdout: optional("--stdout", "FILE", filePath, { meaning: "append the job's stdout to FILE" }),
    stderr: optional("--stderr", "FILE", filePath, { meaning: "append the job's stderr to FILE" }),
    nice: optional("--nice", "N", parseNice, { meaning: "the job's niceness, -20 to 19", signed: true }),
    noNewPrivs: flag("--no-new-privs", { meaning: "the job can never gain privileges" }),
    keepRemains: flag("--keep-remains", { meaning: "do not stop a crashed job's processes" }),
    logFormat,
    command: trailing("COMMAND [ARGS...]", { meaning: "the job: a path, or a name on the job's PATH" })
  }
})

export const commands: ReadonlyArray<CommandSpec> = [claim, kill, status, run, waitUntilHealthy, waitUntilUnhealthy]

const globalOption = (name: string, placeholder: string | undefined, meaning: string, choices?: ReadonlyArray<string>): OptionSpec<unknown> => ({
  name,
  placeholder,
  choices,
  required: false,
  repeatable: false,
  meaning,
  defaultText: undefined,
  group: undefined,
  decode: Either.right
})

/** Options of sipid itself, taken before or after the command; the last two are @effect/cli's. */
export const globalOptions: ReadonlyArray<OptionSpec<unknown>> = [
  globalOption("--log-level", "LEVEL", "the least severe log line shown: all, trace, debug, info (default), warning, error, fatal or none; before or after COMMAND", logLevels),
  globalOption("--help", undefined, "this help; sipid COMMAND --help for a command's options and exit codes"),
  globalOption("--version", undefined, "print sipid's version"),
  globalOption("--completions", "SHELL", "print a completion script for sh, bash, fish or zsh", ["sh", "bash", "fish", "zsh"]),
  globalOption("--wizard", undefined, "build a command line interactively (needs a terminal)")
]
