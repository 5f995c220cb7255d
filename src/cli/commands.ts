/**
 * sipid's command line, declared once: every command with its options
 * (meaning, default, parser) and exit codes. The parser, the help, the man
 * page and the @effect/cli command of shell completions are all read from here.
 */
import { Either, LogLevel } from "effect"
import { resolve } from "node:path"
import { type LogFormat, logFormats } from "../log/logger.js"
import { parseGoDuration } from "../time/goDuration.js"
import { ExitCode, signalExitCode } from "./exitCodes.js"
import { parseAccountSpec } from "../run/accounts.js"
import { parseLimit, parseNice, parseUmask, parseVariable } from "../run/settings.js"
import { asText, choice, type CommandSpec, type ExitCodeDoc, flag, optional, type Options, type OptionSpec, type Parse, repeated, required, trailing, withDefault } from "./spec.js"

const goDuration: Parse<import("effect").Duration.Duration> = (text) => Either.mapLeft(parseGoDuration(text), (error) => error.message)

const filePath: Parse<string> = (path) =>
  path.endsWith("/") ? Either.left(`"${path}" must name a file, not a directory`) : Either.right(resolve(path))

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

export const waitUntilHealthy = command({
  name: "wait-until-healthy",
  summary: "probe an HTTP(S) endpoint until it answers as expected",
  description: "Probe an HTTP(S) endpoint until it answers as expected, or say why not.",
  exitCodes: [
    [ExitCode.ok, "healthy"],
    [ExitCode.refused, "still unhealthy at the deadline; the last failure is logged"],
    [ExitCode.usage, "usage error, or an unreadable certificate or key file"],
    stoppedBySignal
  ],
  options: {
    url: required("--url", "URL", asText, { meaning: "the endpoint, http:// or https://" }),
    timeout: withDefault("--timeout", "DURATION", goDuration, { meaning: "give up after this long, e.g. 1m30s", defaultText: "1m" }),
    pollingFrequency: withDefault("--polling-frequency", "DURATION", goDuration, { meaning: "pause after a failed probe", defaultText: "5s" }),
    requestTimeout: withDefault("--request-timeout", "DURATION", goDuration, { meaning: "time limit of one probe", defaultText: "5s" }),
    expectStatus: withDefault("--expect-status", "CODE|FROM-TO", asText, { meaning: "healthy status or range: 200-399", defaultText: "200" }),
    header: repeated("--header", "'NAME: VALUE'", asText, { meaning: "an extra request header" }),
    caCert: repeated("--ca-cert", "FILE", asText, { meaning: "a PEM CA certificate to trust too" }),
    clientCert: optional("--client-cert", "FILE", asText, { meaning: "a PEM client certificate for mutual TLS" }),
    clientKey: optional("--client-key", "FILE", asText, { meaning: "the PEM key of --client-cert" }),
    insecure: flag("--insecure", { meaning: "skip certificate checks (logs a warning)" }),
    logFormat
  }
})

export const run = command({
  name: "run",
  summary: "claim the pidfile for itself, then exec COMMAND as the job",
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
    nice: optional("--nice", "N", parseNice, { meaning: "the job's niceness, -20 to 19" }),
    noNewPrivs: flag("--no-new-privs", { meaning: "the job can never gain privileges" }),
    keepRemains: flag("--keep-remains", { meaning: "do not stop a crashed job's processes" }),
    logFormat,
    command: trailing("COMMAND [ARGS...]", { meaning: "the job: a path, or a name on the job's PATH" })
  }
})

export const commands: ReadonlyArray<CommandSpec> = [claim, kill, status, run, waitUntilHealthy]

const globalOption = (name: string, placeholder: string | undefined, meaning: string, choices?: ReadonlyArray<string>): OptionSpec<unknown> => ({
  name,
  placeholder,
  choices,
  required: false,
  repeatable: false,
  meaning,
  defaultText: undefined,
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
