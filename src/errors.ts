/**
 * Every failure sipid can report. Each error renders as one line (its
 * `message`) that names the file or value, what is wrong and what to do; the
 * CLI edge (`cli/exitCodes.ts`) turns the tag into an exit code.
 */
import { Data } from "effect"

/** A command-line value is malformed: a PID, a duration, a URL, a schedule. */
export class UsageError extends Data.TaggedError("UsageError")<{
  readonly detail: string
}> {
  override get message(): string {
    return this.detail
  }
}

/** Another process holds the pidfile's lock; trying again later may work. */
export class PidfileLocked extends Data.TaggedError("PidfileLocked")<{
  readonly path: string
}> {
  override get message(): string {
    return `${this.path}: locked by another process (a concurrent claim or kill, or flock(1)); try again`
  }
}

/** The pidfile is not something sipid may trust or act on. Nothing was changed. */
export class PidfileInvalid extends Data.TaggedError("PidfileInvalid")<{
  readonly path: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.path}: ${this.reason}; left untouched, fix or remove it by hand`
  }
}

/** `claim`: a live process already owns the pidfile. */
export class PidfileOwned extends Data.TaggedError("PidfileOwned")<{
  readonly path: string
  readonly pid: number
}> {
  override get message(): string {
    return `${this.path}: already names live process ${this.pid}; stop it first (sipid kill --pid-file ${this.path})`
  }
}

/** `kill`: the process outlived every step of the schedule. The pidfile is kept. */
export class ProcessSurvived extends Data.TaggedError("ProcessSurvived")<{
  readonly path: string
  readonly pid: number
  readonly waited: string
  /** Whether the schedule sent SIGKILL: only then is an uninterruptible sleep (D state) the likely cause. */
  readonly sentKill: boolean
}> {
  override get message(): string {
    return this.sentKill
      ? `${this.path}: process ${this.pid} is still alive after ${this.waited}, SIGKILL included (stuck in D state?); pidfile kept, check it with ps -o stat= -p ${this.pid}`
      : `${this.path}: process ${this.pid} is still alive after ${this.waited}; the schedule sent no SIGKILL (add KILL/N to --retry to force it); pidfile kept`
  }
}

/** `kill --tree`: processes of the job outlived everything sent to them. The pidfile is kept. */
export class JobSurvived extends Data.TaggedError("JobSurvived")<{
  readonly path: string
  /** The main process, the one the pidfile names. */
  readonly pid: number
  readonly waited: string
  readonly sentKill: boolean
  readonly survivors: ReadonlyArray<{ readonly pid: number; readonly command: string; readonly state: string }>
}> {
  override get message(): string {
    const list = this.survivors.map(({ command, pid, state }) =>
      `${pid}${pid === this.pid ? " (main)" : ""} ${command} (${
        state === "D" ? "state D: uninterruptible sleep, SIGKILL takes effect only when its kernel call returns" : `state ${state}`
      })`
    ).join(", ")
    return `${this.path}: ${this.survivors.length} process(es) of process ${this.pid}'s job still alive after ${this.waited}${
      this.sentKill ? ", SIGKILL included" : "; the schedule sent no SIGKILL (add KILL/N to --retry to force it)"
    }: ${list}; pidfile kept, check them with ps -o pid,stat,args -p ${this.survivors.map(({ pid }) => pid).join(",")}`
  }
}

/** `wait-until-healthy`: the deadline passed without a healthy answer. */
export class Unhealthy extends Data.TaggedError("Unhealthy")<{
  readonly url: string
  readonly summary: string
}> {
  override get message(): string {
    return `${this.url}: ${this.summary}`
  }
}

/** A system call failed for a reason outside sipid's control (EACCES, EROFS, ...). */
export class SystemError extends Data.TaggedError("SystemError")<{
  readonly operation: string
  /** The file, or `process N`. */
  readonly path: string
  readonly code: string
  readonly detail?: string
  /** What to do about it, where something helps. */
  readonly hint?: string
}> {
  override get message(): string {
    return `${this.path}: ${this.operation} failed: ${this.detail ?? this.code}${this.hint ? `; ${this.hint}` : ""}`
  }
}

/** What usually fixes a file operation that failed with this code. */
const fileHints: Record<string, string> = {
  EACCES: "run as a user that may write there (BOSH scripts run as root)",
  EPERM: "run as a user that may write there (BOSH scripts run as root)",
  EROFS: "the file system is read-only; use a writable run directory",
  ENOSPC: "the disk is full",
  ENOTDIR: "a parent of the path is not a directory",
  EEXIST: "a file that is not a directory stands in the way; move it"
}

/** Operations that only look: permission trouble there is about reading, not writing. */
const readingOperations = new Set(["open", "read", "lstat", "list"])
const readHint = "run as a user that may read it (BOSH scripts run as root)"

const hintFor = (operation: string, code: string): string | undefined =>
  (code === "EACCES" || code === "EPERM") && readingOperations.has(operation) ? readHint : fileHints[code]

/** Wraps a Node error from a file operation as a `SystemError`; one already made is kept as it is. */
export const systemError = (operation: string, path: string, cause: unknown): SystemError => {
  if (cause instanceof SystemError) return cause
  const error = cause as NodeJS.ErrnoException
  const code = error?.code ?? "EUNKNOWN"
  const hint = hintFor(operation, code)
  return new SystemError({
    operation,
    path,
    code,
    detail: error?.code ? `${error.code} (${describeErrno(error)})` : String(cause),
    ...(hint && { hint })
  })
}

const describeErrno = (error: NodeJS.ErrnoException): string =>
  // Node's messages read "EACCES: permission denied, open '/x'"; keep the middle part.
  error.message?.replace(/^[A-Z]+: /, "").replace(/, \w+ '.*'$/, "") ?? "unknown error"

export type SipidError =
  | UsageError
  | PidfileLocked
  | PidfileInvalid
  | PidfileOwned
  | ProcessSurvived
  | JobSurvived
  | Unhealthy
  | SystemError
