/**
 * What the pidfile programs fail with: the pidfile is locked, untrustworthy
 * or owned, or the PID given is no job's process. Each renders as one line
 * naming the file; the CLI adds the sipid command that helps (`cli/advice.ts`).
 */
import { Data } from "effect"
import type { Pid } from "../process/Pid.js"

/**
 * What makes a PID no process a pidfile may be claimed for.
 * @since 0.2.0
 * @category errors
 */
export type ClaimantProblem = Data.TaggedEnum<{
  NotRunning: {}
  Thread: { readonly process: Pid }
  KernelThread: { readonly command: string }
  /** The lock created the pidfile for another process (`lock(path, { create })`). */
  CreatedForOther: { readonly path: string; readonly process: Pid }
}>

export const ClaimantProblem = Data.taggedEnum<ClaimantProblem>()

/**
 * `claim`: the PID given is not a job's process. Nothing was written.
 * @since 0.2.0
 * @category errors
 */
export class ClaimantInvalid extends Data.TaggedError("ClaimantInvalid")<{
  readonly pid: Pid
  readonly problem: ClaimantProblem
}> {
  override get message(): string {
    const { pid } = this
    return ClaimantProblem.$match(this.problem, {
      NotRunning: () => `PID ${pid} is not a running process`,
      Thread: ({ process }) => `PID ${pid} is a thread of process ${process}; pass ${process}`,
      KernelThread: ({ command }) => `PID ${pid} is a kernel thread (${command}), never a job's process`,
      CreatedForOther: ({ path, process }) =>
        `${path}: this lock created the pidfile for process ${process}, so it cannot be claimed for process ${pid}; claim it for ${process}`
    })
  }
}

/**
 * Another process holds the pidfile's lock; trying again later may work.
 * @since 0.1.0
 * @category errors
 */
export class PidfileLocked extends Data.TaggedError("PidfileLocked")<{
  readonly path: string
}> {
  override get message(): string {
    return `${this.path}: locked by another process (a concurrent claim or kill, or flock(1)); try again`
  }
}

/**
 * Why a pidfile is one sipid will not trust or act on, with the facts that show it.
 * @since 0.2.0
 * @category errors
 */
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
  OwnerCannotSignal: { readonly owner: number; readonly pid: Pid; readonly realUid: number; readonly savedUid: number }
  /** `kill`: it names no process to stop. */
  Empty: {}
  /** `kill`: its content is not one PID (`detail` says what is wrong). */
  BadContent: { readonly detail: string }
  /** It names a thread, not a process. */
  NamesThread: { readonly pid: Pid; readonly process: Pid }
  /** It names sipid itself or the process that started it. */
  NamesSipid: { readonly pid: Pid }
  /** Removed or replaced while locked, by a program that does not lock. */
  ChangedWhileLocked: { readonly removed: boolean }
  /** It holds no single PID, yet monit reads it as a running process's. */
  MonitReadsRunning: { readonly pid: Pid }
}>

export const PidfileProblem = Data.taggedEnum<PidfileProblem>()

/**
 * The problem in words, after the pidfile's name: `is world-writable (mode 666), ...`.
 * @since 0.2.0
 * @category errors
 */
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

/**
 * The pidfile is not something sipid may trust or act on. Nothing was changed.
 * @since 0.1.0
 * @category errors
 */
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

/**
 * Other programs kept replacing or removing the pidfile while sipid tried to lock it.
 * @since 0.1.0
 * @category errors
 */
export class LockRetriesExhausted extends Data.TaggedError("LockRetriesExhausted")<{
  readonly path: string
  readonly attempts: number
}> {
  override get message(): string {
    return `${this.path}: lock failed: the file was replaced ${this.attempts} times while locking; another program keeps rewriting it, try again`
  }
}

/**
 * `claim`: a live process already owns the pidfile.
 * @since 0.1.0
 * @category errors
 */
export class PidfileOwned extends Data.TaggedError("PidfileOwned")<{
  readonly path: string
  readonly pid: Pid
}> {
  override get message(): string {
    return `${this.path}: already names live process ${this.pid}`
  }
}
