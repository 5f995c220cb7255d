/**
 * Every failure sipid can report. Each error renders as one line (its
 * `message`) that names the file or value and what is wrong, with what to
 * do where that needs no sipid command line; the CLI edge adds the sipid
 * command or option that helps (`cli/advice.ts`) and turns the tag into an
 * exit code (`cli/exitCodes.ts`).
 */
import type * as PlatformError from "@effect/platform/Error"
import { Data, type Duration, Predicate } from "effect"
import { getSystemErrorMap } from "node:util"
// Only the types: the health check's verdicts live with it, and "sipid" re-exports them.
import type { StillHealthy, Unhealthy } from "./health/verdict.js"
import { formatGoDuration } from "./time/goDuration.js"

/** A command-line value is malformed: a PID, a duration, a URL, a schedule. */
export class UsageError extends Data.TaggedError("UsageError")<{
  readonly detail: string
}> {
  override get message(): string {
    return this.detail
  }
}

/** What makes a PID no process a pidfile may be claimed for. */
export type ClaimantProblem =
  | { readonly _tag: "NotRunning" }
  | { readonly _tag: "Thread"; readonly process: number }
  | { readonly _tag: "KernelThread"; readonly command: string }
  /** The lock created the pidfile for another process (`lock(path, { create })`). */
  | { readonly _tag: "CreatedForOther"; readonly path: string; readonly process: number }

/** `claim`: the PID given is not a job's process. Nothing was written. */
export class ClaimantInvalid extends Data.TaggedError("ClaimantInvalid")<{
  readonly pid: number
  readonly problem: ClaimantProblem
}> {
  override get message(): string {
    const { pid, problem } = this
    const passTheJob = `pass the PID of the job's process (in a start script, "$$" before exec)`
    switch (problem._tag) {
      case "NotRunning":
        return `PID ${pid} is not a running process; ${passTheJob}`
      case "Thread":
        return `PID ${pid} is a thread of process ${problem.process}; pass ${problem.process}`
      case "KernelThread":
        return `PID ${pid} is a kernel thread (${problem.command}), never a job's process; ${passTheJob}`
      case "CreatedForOther":
        return `${problem.path}: this lock created the pidfile for process ${problem.process}, so it cannot be claimed for process ${pid}; claim it for ${problem.process}`
    }
  }
}

/** Text that is not a PID sipid may act on (`parsePid`). */
export class InvalidPid extends Data.TaggedError("InvalidPid")<{
  readonly input: string
  /** The whole sentence: what is wrong with `input`. */
  readonly reason: string
}> {
  override get message(): string {
    return this.reason
  }
}

/** Text that is not a stop schedule in `--retry` syntax (`parseStopSchedule`). */
export class InvalidStopSchedule extends Data.TaggedError("InvalidStopSchedule")<{
  readonly input: string
  readonly reason: string
}> {
  override get message(): string {
    return `invalid schedule "${this.input}": ${this.reason}`
  }
}

/** Text that is not a Go duration with a unit (`parseGoDuration`). */
export class InvalidDuration extends Data.TaggedError("InvalidDuration")<{
  readonly input: string
  readonly reason: string
}> {
  override get message(): string {
    return `invalid duration "${this.input}": ${this.reason}`
  }
}

/** Text that is not a health-check setting: a URL, a status range, a header (`sipid/health`'s parsers). */
export class InvalidProbeSetting extends Data.TaggedError("InvalidProbeSetting")<{
  readonly input: string
  /** The whole sentence: what is wrong with `input` and what to write instead. */
  readonly reason: string
}> {
  override get message(): string {
    return this.reason
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

/** Why a pidfile is one sipid will not trust or act on, with the facts that show it. */
export type PidfileProblem = Data.TaggedEnum<{
  /** A directory, FIFO, socket or device where a pidfile should be. */
  NotRegular: { readonly kind: "directory" | "FIFO" | "socket" | "device" }
  /** The pidfile is a symbolic link; sipid never follows one. */
  Symlink: {}
  /** A symbolic link on the way to it that another user may have placed (`why`), so may point anywhere. */
  UntrustedSymlinkOnPath: { readonly at: string; readonly target: string; readonly why: string; readonly callerUid: number }
  /** Anyone may have written it. */
  WorldWritable: { readonly mode: number }
  /** Its owner could not signal the process it names: as root, sipid signals only what the owner could. */
  OwnerCannotSignal: { readonly owner: number; readonly pid: number; readonly realUid: number; readonly savedUid: number }
  /** `kill`: it names no process to stop. */
  Empty: {}
  /** `kill`: its content is not one PID (`detail` says what is wrong). */
  BadContent: { readonly detail: string }
  /** It names a thread, not a process. */
  NamesThread: { readonly pid: number; readonly process: number }
  /** It names sipid itself or the process that started it. */
  NamesSipid: { readonly pid: number }
  /** Removed or replaced while locked, by a program that does not lock. */
  ChangedWhileLocked: { readonly removed: boolean }
  /** It holds no single PID, yet monit reads it as a running process's. */
  MonitReadsRunning: { readonly pid: number }
}>

export const PidfileProblem = Data.taggedEnum<PidfileProblem>()

/** The problem in words, after the pidfile's name: `is world-writable (mode 666), ...`. */
export const describePidfileProblem: (problem: PidfileProblem) => string = PidfileProblem.$match({
  NotRegular: ({ kind }) => `is a ${kind}, not a ${kind === "directory" ? "pidfile" : "regular file"}`,
  Symlink: () => "is a symbolic link; sipid never follows one",
  UntrustedSymlinkOnPath: ({ at, callerUid, target, why }) =>
    `its path goes through the symbolic link ${at} -> ${target}, and ${why}, so another user may point it anywhere; sipid follows a link on the way only if ${
      callerUid === 0 ? "root owns" : `root or uid ${callerUid} (sipid's own) own`
    } it and its directory and no other user may write there: give the path it leads to`,
  WorldWritable: ({ mode }) => `is world-writable (mode ${(mode & 0o7777).toString(8)}), so anyone may have written it`,
  OwnerCannotSignal: ({ owner, pid, realUid, savedUid }) =>
    `is owned by uid ${owner}, which could not signal the process it names, ${pid} (real uid ${realUid}, saved uid ${savedUid}); as root, sipid signals only what the owner could`,
  Empty: () => "is empty, so it names no process to stop",
  BadContent: ({ detail }) => detail,
  NamesThread: ({ pid, process }) => `names ${pid}, a thread of process ${process}, not a process`,
  NamesSipid: ({ pid }) => `names process ${pid}, which is sipid itself or the process that started it`,
  ChangedWhileLocked: ({ removed }) =>
    `was ${removed ? "removed" : "replaced"} while locked, by a program that does not lock (start-stop-daemon, an editor); not claimed`,
  MonitReadsRunning: ({ pid }) => `holds no single PID, yet monit reads it as process ${pid}, which is running`
})

/** The pidfile is not something sipid may trust or act on. Nothing was changed. */
export class PidfileInvalid extends Data.TaggedError("PidfileInvalid")<{
  readonly path: string
  readonly problem: PidfileProblem
}> {
  /** The problem in words (`describePidfileProblem`). */
  get reason(): string {
    return describePidfileProblem(this.problem)
  }

  override get message(): string {
    return `${this.path}: ${this.reason}; left untouched, fix or remove it by hand`
  }
}

/** Other programs kept replacing or removing the pidfile while sipid tried to lock it. */
export class LockRetriesExhausted extends Data.TaggedError("LockRetriesExhausted")<{
  readonly path: string
  readonly attempts: number
}> {
  override get message(): string {
    return `${this.path}: lock failed: the file was replaced ${this.attempts} times while locking; another program keeps rewriting it, try again`
  }
}

/** `claim`: a live process already owns the pidfile. */
export class PidfileOwned extends Data.TaggedError("PidfileOwned")<{
  readonly path: string
  readonly pid: number
}> {
  override get message(): string {
    return `${this.path}: already names live process ${this.pid}`
  }
}

/** `kill`: the process outlived every step of the schedule. The pidfile is kept. */
export class ProcessSurvived extends Data.TaggedError("ProcessSurvived")<{
  readonly path: string
  readonly pid: number
  /** From the first signal to giving up. */
  readonly waited: Duration.Duration
  /** Whether the schedule sent SIGKILL: only then is an uninterruptible sleep (D state) the likely cause. */
  readonly sentKill: boolean
}> {
  override get message(): string {
    return this.sentKill
      ? `${this.path}: process ${this.pid} is still alive after ${formatGoDuration(this.waited)}, SIGKILL included (stuck in D state?); pidfile kept, check it with ps -o stat= -p ${this.pid}`
      : `${this.path}: process ${this.pid} is still alive after ${formatGoDuration(this.waited)}; the schedule sent no SIGKILL; pidfile kept`
  }
}

interface JobFailure {
  readonly path: string
  /** The main process, the one the pidfile names. */
  readonly pid: number
  /** From the first signal to giving up. */
  readonly waited: Duration.Duration
  readonly sentKill: boolean
  readonly survivors: ReadonlyArray<{ readonly pid: number; readonly command: string; readonly state: string }>
}

/** "2 process(es) of process 80's job still alive after 7s, SIGKILL included: 81 worker (state S), ..." */
const survivorsOf = ({ pid: main, sentKill, survivors, waited }: JobFailure) =>
  `${survivors.length} process(es) of process ${main}'s job still alive after ${formatGoDuration(waited)}${
    sentKill ? ", SIGKILL included" : "; the schedule sent no SIGKILL"
  }: ${
    survivors.map(({ command, pid, state }) =>
      `${pid}${pid === main ? " (main)" : ""} ${command} (${
        state === "D" ? "state D: uninterruptible sleep, SIGKILL takes effect only when its kernel call returns" : `state ${state}`
      })`
    ).join(", ")
  }`

const checkThem = ({ survivors }: JobFailure) => `check them with ps -o pid,stat,args -p ${survivors.map(({ pid }) => pid).join(",")}`

/** `kill --tree`: processes of the job outlived everything sent to them. The pidfile is kept. */
export class JobSurvived extends Data.TaggedError("JobSurvived")<JobFailure> {
  override get message(): string {
    return `${this.path}: ${survivorsOf(this)}; pidfile kept, ${checkThem(this)}`
  }
}

/**
 * `kill --tree`: the first or the last look at the job could not finish
 * (it grew faster than it could be walked, or the machine was too busy)
 * and nothing made up for it, so whether more of it still runs is unknown.
 * What was found was stopped as ever (`survivors` lists what of it is
 * still alive). The pidfile is kept.
 */
export class JobUnseen extends Data.TaggedError("JobUnseen")<JobFailure & {
  /** Which look, e.g. "the first look". */
  readonly look: string
  /** What it left, e.g. "stopped at its deadline with 12 process(es) unread". */
  readonly left: string
}> {
  override get message(): string {
    return `${this.path}: process ${this.pid}'s job was not seen whole: ${this.look} ${this.left}, and no later look made up for it, ` +
      `so more of the job may still run${this.survivors.length === 0 ? "" : `; and ${survivorsOf(this)}`}; pidfile kept, ` +
      `${this.survivors.length === 0 ? "" : `${checkThem(this)}, and `}look for the rest with ps -e -o pid,ppid,sid,pgid,args`
  }
}

/** `run`: COMMAND names no file: not on the PATH searched, or no such path. Nothing was claimed, or the claim was withdrawn. */
export class CommandNotFound extends Data.TaggedError("CommandNotFound")<{
  readonly command: string
  /** The directories searched, for a command without a slash; none for a path. */
  readonly searched: ReadonlyArray<string>
  /** What failed when the kernel itself answered ENOENT (a script's #! interpreter missing). */
  readonly detail?: string
}> {
  override get message(): string {
    return `${this.command}: ${
      this.detail ?? (this.searched.length === 0 ? "no such file" : `not found in PATH (${this.searched.join(":") || "empty"})`)
    }`
  }
}

/** `run`: COMMAND is there but cannot be run: not executable for the job's user, a directory, not a program. */
export class CommandNotExecutable extends Data.TaggedError("CommandNotExecutable")<{
  readonly command: string
  /** The file COMMAND resolved to. */
  readonly path: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.command}: ${this.path === this.command ? "" : `${this.path} `}${this.reason}`
  }
}

/** `run --user`: no such user or group in /etc/passwd or /etc/group. */
export class UnknownAccount extends Data.TaggedError("UnknownAccount")<{
  readonly kind: "user" | "group"
  readonly name: string
}> {
  override get message(): string {
    return `no ${this.kind} ${JSON.stringify(this.name)} in /etc/${this.kind === "user" ? "passwd" : "group"}`
  }
}

/**
 * A system call failed for a reason outside sipid's control (EACCES, EROFS,
 * ...). Not named SystemError: `Effect.catchTag("SystemError")` would then
 * catch @effect/platform's errors and sipid's alike.
 */
export class OsError extends Data.TaggedError("OsError")<{
  readonly operation: string
  /** The file, or `process N`. */
  readonly path: string
  readonly code: string
  readonly detail?: string
  /** What to do about it, where something helps. */
  readonly hint?: string
  /** The error it was made from: a Node error, libc's errno, or @effect/platform's error. */
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.path}: ${this.operation} failed: ${this.detail ?? this.code}${this.hint ? `; ${this.hint}` : ""}`
  }
}

/**
 * `/proc/PID` is hidden from sipid (/proc mounted with hidepid), yet the
 * process exists: sipid cannot tell who it is, so it must not act on it.
 */
export class ProcessHidden extends Data.TaggedError("ProcessHidden")<{
  readonly pid: number
}> {
  override get message(): string {
    return `process ${this.pid}: it exists but /proc/${this.pid} is hidden (/proc mounted with hidepid?)`
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
const signalHint = "not permitted to signal it: run sipid as root or as the process's user"

/** `sipid run`'s set-up of the job's process (exec.ts): no file is involved, so no file hint fits. */
const processSetUp = /^(set|prctl|dup2|fcntl|signal|sigprocmask)/

const hintFor = (operation: string, code: string): string | undefined =>
  code === "EPERM" && operation.startsWith("send ")
    ? signalHint
    : code === "EPERM" && operation.startsWith("set limit ")
    ? "a limit above the hard one needs CAP_SYS_RESOURCE, and nofile above fs.nr_open is refused even to root"
    : processSetUp.test(operation)
    ? undefined
    : code === "EACCES" && operation === "chdir"
    ? "the job's user may not enter it"
    : (code === "EACCES" || code === "EPERM") && readingOperations.has(operation)
    ? readHint
    : fileHints[code]

/** @effect/platform's reasons, as the errno a Node call would have reported. */
const platformCodes: Partial<Record<PlatformError.SystemErrorReason, string>> = {
  AlreadyExists: "EEXIST",
  Busy: "EBUSY",
  NotFound: "ENOENT",
  PermissionDenied: "EACCES",
  TimedOut: "ETIMEDOUT",
  WouldBlock: "EAGAIN"
}

/**
 * @effect/platform's errors, recognised by their type id rather than by
 * importing the module: that would load @effect/platform and Schema into
 * every command for one check.
 */
const isPlatformError = (cause: unknown): cause is PlatformError.PlatformError =>
  Predicate.hasProperty(cause, Symbol.for("@effect/platform/Error"))

/** The errno name and its description, e.g. `EACCES` and `permission denied`. */
const errnoOf = (cause: unknown): { readonly code: string; readonly description?: string } | undefined => {
  if (isPlatformError(cause)) {
    // A platform error wraps the Node error that says most.
    return errnoOf(cause.cause) ??
      { code: (cause._tag === "SystemError" && platformCodes[cause.reason]) || "EUNKNOWN", description: cause.message }
  }
  const code = (cause as { readonly code?: unknown } | undefined)?.code
  if (typeof code !== "string") return undefined
  const description = errnoDescriptions.get(code) ?? (cause as { readonly message?: unknown }).message
  return typeof description === "string" ? { code, description } : { code }
}

const errnoDescriptions = new Map([...getSystemErrorMap().values()])

/**
 * The one way a failure of the system becomes an `OsError`: a Node
 * error, libc's `Errno`, or an @effect/platform error, kept as its `cause`.
 * One already made is kept as it is.
 */
export const osError = (operation: string, path: string, cause: unknown): OsError => {
  if (cause instanceof OsError) return cause
  const errno = errnoOf(cause)
  const code = errno?.code ?? "EUNKNOWN"
  const hint = hintFor(operation, code)
  return new OsError({
    operation,
    path,
    code,
    detail: errno === undefined ? String(cause) : errno.description === undefined ? code : `${code} (${errno.description})`,
    cause,
    ...(hint && { hint })
  })
}

export type SipidError =
  | UsageError
  | ClaimantInvalid
  | InvalidPid
  | InvalidStopSchedule
  | InvalidDuration
  | InvalidProbeSetting
  | PidfileLocked
  | LockRetriesExhausted
  | PidfileInvalid
  | PidfileOwned
  | ProcessSurvived
  | JobSurvived
  | JobUnseen
  | Unhealthy
  | StillHealthy
  | CommandNotFound
  | CommandNotExecutable
  | UnknownAccount
  | ProcessHidden
  | OsError
