/**
 * The one place where errors become exit codes. Documented in the README;
 * scripts depend on these numbers, so they never change meaning.
 */
import { Match } from "effect"
import type { CommandError } from "./UsageError.js"
import { PidfileStatus } from "../pidfile/status.js"

export const ExitCode = {
  /** Done. */
  ok: 0,
  /** Refused: a live process owns the pidfile, it would not die, or the endpoint stayed unhealthy (or, waited to fail, healthy). */
  refused: 1,
  /** A command-line value is malformed, or a file it names (--ca-cert, --client-cert, --client-key) is no PEM. */
  usage: 2,
  /** Another process holds the pidfile's lock, or kept replacing the pidfile while sipid locked it: try again. */
  locked: 3,
  /** The pidfile is invalid or not trustworthy: symlink, not a regular file, hostile content, wrong owner. */
  invalidPidfile: 4,
  /** Any other system error: permission denied, read-only file system, ... */
  system: 5,
  /** `run`: COMMAND is not executable (a shell's code for it). */
  notExecutable: 126,
  /** `run`: COMMAND was not found (a shell's code for it). */
  notFound: 127
} as const

/**
 * The signals that stop a command early: monit's stop timeout sends SIGTERM,
 * Ctrl-C SIGINT, a closed terminal SIGHUP; SIGQUIT, SIGUSR1 and SIGUSR2 (a
 * log rotation's `pkill -USR1 -f JOB` matches sipid's --pid-file) would end
 * a process that does not handle them, or open a debugger in some runtimes.
 * Each ends sipid the same orderly way.
 */
export type StopSignal = "SIGHUP" | "SIGINT" | "SIGQUIT" | "SIGUSR1" | "SIGUSR2" | "SIGTERM"

/** Stopped early by a signal: 128 + the signal's number, as a shell reports a process the signal killed. */
export const signalExitCode: Record<StopSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGQUIT: 131, SIGUSR1: 138, SIGUSR2: 140, SIGTERM: 143 }

export const exitCodeFor: (error: CommandError) => number = Match.type<CommandError>().pipe(
  Match.tagsExhaustive({
    PidfileOwned: () => ExitCode.refused,
    ProcessSurvived: () => ExitCode.refused,
    JobSurvived: () => ExitCode.refused,
    JobUnseen: () => ExitCode.refused,
    Unhealthy: () => ExitCode.refused,
    StillHealthy: () => ExitCode.refused,
    UsageError: () => ExitCode.usage,
    ClaimantInvalid: () => ExitCode.usage,
    InvalidPid: () => ExitCode.usage,
    InvalidStopSchedule: () => ExitCode.usage,
    InvalidDuration: () => ExitCode.usage,
    InvalidProbeSetting: () => ExitCode.usage,
    TlsFileInvalid: () => ExitCode.usage,
    PidfileLocked: () => ExitCode.locked,
    LockRetriesExhausted: () => ExitCode.locked,
    PidfileInvalid: () => ExitCode.invalidPidfile,
    CommandNotFound: () => ExitCode.notFound,
    CommandNotExecutable: () => ExitCode.notExecutable,
    UnknownAccount: () => ExitCode.usage,
    ProcessHidden: () => ExitCode.system,
    OsError: () => ExitCode.system
  })
)

/**
 * `sipid status` answers with the LSB init-script status codes instead, so
 * it can stand in for `service NAME status`.
 */
export const statusExitCode = (status: PidfileStatus): number =>
  PidfileStatus.$match(status, {
    Running: () => 0,
    /** Not running, but the pidfile exists. */
    Stale: () => 1,
    /** Not running, no pidfile. */
    NoPidfile: () => 3,
    /** Unknown: the pidfile is unreadable or invalid. */
    Unknown: () => 4
  })
