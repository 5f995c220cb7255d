/**
 * What `sipid --help` and `sipid COMMAND --help` say, in one table: each
 * command's summary and exit codes, each option's meaning and default. The
 * options' names, placeholders and whether they are required or repeatable
 * come from the command definitions themselves (see help.ts).
 */
import { ExitCode, signalExitCode } from "./exitCodes.js"

export interface OptionDoc {
  /** One line: what the option does. */
  readonly meaning: string
  /** The value used when the option is not given, as the user would type it. */
  readonly default?: string
}

export interface CommandDoc {
  /** One line for the command list. */
  readonly summary: string
  /** A sentence or two at the top of the command's help. */
  readonly description: string
  readonly exitCodes: ReadonlyArray<readonly [code: number | string, meaning: string]>
}

const stoppedBySignal = [`${signalExitCode.SIGTERM}, ${signalExitCode.SIGINT}`, "stopped early by SIGTERM, SIGINT; logged, nothing left half done"] as const
const usage = [ExitCode.usage, "usage error: a missing, unknown or malformed option"] as const
/** The codes claim and kill share: both lock the pidfile and refuse one they cannot trust. */
const pidfileTrouble = [
  [ExitCode.locked, "locked by a claim or kill, or replaced 20 times while locking: retry"],
  [ExitCode.invalidPidfile, "invalid or untrusted pidfile (content, owner, symlink...); untouched"],
  [ExitCode.system, "any other system error, or /proc/PID hidden by hidepid: run as root"],
  stoppedBySignal
] as const

export const commandDocs: Record<string, CommandDoc> = {
  claim: {
    summary: "write PID to the pidfile, unless a live process owns it",
    description: "Write PID to the pidfile, unless a live process already owns it. Creates the directory, locks the pidfile (flock) and replaces it atomically.",
    exitCodes: [
      [ExitCode.ok, "claimed"],
      [ExitCode.refused, "a live process already owns the pidfile"],
      [ExitCode.usage, "usage error, or --pid is not a running process"],
      ...pidfileTrouble
    ]
  },
  kill: {
    summary: "stop the pidfile's process, then remove the pidfile",
    description: "Stop the process the pidfile names: SIGTERM, wait, (SIGQUIT, wait,) SIGKILL, wait; then remove the pidfile. No pidfile, or a stale one, is success. Durations in Go syntax: 500ms, 10s, 1m30s.",
    exitCodes: [
      [ExitCode.ok, "stopped, or nothing to stop"],
      [ExitCode.refused, "the process (or, with --tree, one of its job) survived; pidfile kept"],
      usage,
      ...pidfileTrouble
    ]
  },
  status: {
    summary: "tell whether the pidfile's process runs (LSB exit codes)",
    description: "Print one line saying whether the pidfile's process is running. Takes no lock and changes nothing.",
    exitCodes: [
      [0, "running"],
      [1, "not running, but the (stale) pidfile exists"],
      usage,
      [3, "not running, no pidfile"],
      [4, "unknown: the pidfile is unreadable or invalid"]
    ]
  },
  "wait-until-healthy": {
    summary: "probe an HTTP(S) endpoint until it answers as expected",
    description: "Probe an HTTP(S) endpoint until it answers as expected, or say why not.",
    exitCodes: [
      [ExitCode.ok, "healthy"],
      [ExitCode.refused, "still unhealthy at the deadline; the last failure is logged"],
      [ExitCode.usage, "usage error, or an unreadable certificate or key file"],
      stoppedBySignal
    ]
  }
}

export const optionDocs: Record<string, OptionDoc> = {
  "--pid": { meaning: "the job's process, e.g. $$ before exec" },
  "--pid-file": { meaning: "the pidfile: /var/vcap/sys/run/JOB/JOB.pid" },
  "--log-format": { meaning: "log lines as text or JSON lines", default: "text" },
  "--grace": { meaning: "time from SIGTERM to SIGKILL, e.g. 30s", default: "20s" },
  "--show-stacks": { meaning: "SIGQUIT after the grace (stack dumps), 2s before KILL" },
  "--retry": { meaning: "the whole schedule instead, e.g. TERM/20/QUIT/2/KILL/5" },
  "--tree": { meaning: "stop (kill) or list (status) the process's whole job" },
  "--tree-grace": { meaning: "the job's grace after the process exits", default: "2s" },
  "--url": { meaning: "the endpoint, http:// or https://" },
  "--timeout": { meaning: "give up after this long, e.g. 1m30s", default: "1m" },
  "--polling-frequency": { meaning: "pause after a failed probe", default: "5s" },
  "--request-timeout": { meaning: "time limit of one probe", default: "5s" },
  "--expect-status": { meaning: "healthy status or range: 200-399", default: "200" },
  "--header": { meaning: "an extra request header" },
  "--ca-cert": { meaning: "a PEM CA certificate to trust too" },
  "--client-cert": { meaning: "a PEM client certificate for mutual TLS" },
  "--client-key": { meaning: "the PEM key of --client-cert" },
  "--insecure": { meaning: "skip certificate checks (logs a warning)" }
}
