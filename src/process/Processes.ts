/**
 * The process table as sipid sees it: what a PID currently is, and a way to
 * open exactly one process, signal it and wait for it to exit.
 *
 * Programs depend only on this tag. `ProcessesLive` reads /proc and uses
 * pidfds; `ProcessesTest` is a simulated table driven by Effect's Clock, so
 * kill timing can be tested under TestClock.
 */
import { Context, Data, type Duration, type Effect, type Option, type Scope } from "effect"
import type { OsError } from "../os/OsError.js"
import type { ProcessHidden } from "./errors.js"
import type { Pid } from "./Pid.js"

/**
 * Who a PID is: the kernel's start time of the process (clock ticks since
 * boot, /proc/PID/stat field 22) and the boot it belongs to. A PID reused
 * by another process, or after a reboot, has a different identity.
 * @since 0.1.0
 * @category models
 */
export interface ProcessIdentity {
  readonly pid: Pid
  readonly startTicks: number
  readonly bootId: string
}

/**
 * True when both identities name one process: the same PID, started at the same tick of the same boot.
 * @since 0.1.0
 * @category utils
 */
export const isSameProcess = (a: ProcessIdentity, b: ProcessIdentity): boolean =>
  // Equivalent mutant, not disabled (the line's other ConditionalExpression mutants are killable): a.pid === b.pid → true;
  // every caller compares two identities read for one PID.
  a.pid === b.pid && a.startTicks === b.startTicks && a.bootId === b.bootId

/**
 * A process's user IDs (/proc/PID/status `Uid:`). The kernel lets a user
 * signal a process only if the process's real or saved uid is the user's
 * (real or effective) uid; the effective uid alone decides nothing.
 * @since 0.1.0
 * @category models
 */
export interface ProcessUids {
  readonly real: number
  readonly effective: number
  readonly saved: number
}

/**
 * @since 0.1.0
 * @category models
 */
export type ProcessState = Data.TaggedEnum<{
  /** Nothing runs at this PID: the process exited and was reaped, or never was. */
  Gone: {}
  /** Dead but not reaped by its parent: it will never run again. */
  Zombie: {}
  Alive: {
    readonly identity: ProcessIdentity
    readonly uids: ProcessUids
    /**
     * The process the task belongs to (`Tgid:`). /proc answers for a
     * thread's ID too: then this is another PID, and the ID names a thread,
     * not a process.
     */
    readonly threadGroup: Pid
  }
}>

export const ProcessState = Data.taggedEnum<ProcessState>()

/**
 * @since 0.1.0
 * @category models
 */
export type Alive = Data.TaggedEnum.Value<ProcessState, "Alive">
/**
 * @since 0.1.0
 * @category models
 */
export type Gone = Data.TaggedEnum.Value<ProcessState, "Gone">

/** True when the live task at `pid` is a thread of another process rather than a process. */
export const isThread = (state: Alive): boolean => state.threadGroup !== state.identity.pid

/**
 * @since 0.1.0
 * @category models
 */
export type SignalName = "SIGTERM" | "SIGQUIT" | "SIGKILL" | "SIGINT" | "SIGHUP" | "SIGUSR1" | "SIGUSR2" | "SIGABRT"

/**
 * A process opened for signalling, valid while the scope that opened it is
 * open. It never reaches a recycled PID: once its process has exited,
 * `signal` answers `Gone` whoever holds the PID now.
 *
 * How it is pinned (`pinnedBy`):
 * - `Pidfd`: it holds a pidfd on the process from `open` to the end of the
 *   scope; signals go through it and its exit is noticed at once.
 * - `Identity`: it holds nothing (past the live table's pidfd budget, which
 *   keeps a job of thousands of processes from exhausting the open-file
 *   limit, or on a kernel without pidfds). Each `signal` first checks that
 *   the PID still names this process (its start time) and that it has not
 *   exited, through a pidfd opened for that signal alone and closed after
 *   it, so the check and the signal are about one process. Its exit is
 *   noticed by reading /proc, up to a second late when many are watched
 *   (see `exitedAmong`).
 * @since 0.1.0
 * @category models
 */
export interface ProcessHandle {
  readonly _tag: "Open"
  readonly identity: ProcessIdentity
  readonly pinnedBy: "Pidfd" | "Identity"
  /** Read while the process was pinned, so they are this very process's. */
  readonly uids: ProcessUids
  /** Sends `signal`; `Gone` when the process had already exited (zombie included). */
  readonly signal: (signal: SignalName) => Effect.Effect<"Sent" | "Gone", OsError | ProcessHidden>
  /** Completes once the process has exited (a zombie counts as exited). Interruptible. */
  readonly awaitExit: Effect.Effect<void, OsError | ProcessHidden>
  /**
   * Whether the process has exited by now (zombie included), without
   * waiting: what a wait that ended late (a timer that fired after sipid
   * was stopped) or was interrupted checks before it says anything.
   */
  readonly exited: Effect.Effect<boolean, OsError | ProcessHidden>
}

/**
 * What tree discovery needs about a process, all from one read of
 * /proc/PID/stat, so the fields belong together and to `identity`.
 * @since 0.1.0
 * @category models
 */
export interface ProcessLineage {
  readonly identity: ProcessIdentity
  /** Field 2, the kernel's 15-byte command name (may hold spaces and parentheses). */
  readonly command: string
  /** Field 3: R running, S sleeping, D uninterruptible (not even SIGKILL ends it until its call returns), Z zombie, T stopped... */
  readonly state: string
  /** Field 4; 0 for a process whose parent is outside sipid's PID namespace. */
  readonly parent: number
  /** Field 5: equal to the PID for a process-group leader. */
  readonly processGroup: number
  /** Field 6: equal to the PID for a session leader (setsid). */
  readonly session: number
  /** PF_KTHREAD in field 9: a kernel thread is never a job's process. */
  readonly kernelThread: boolean
  /** Field 20. A process whose first thread exited shows Z while its other threads run. */
  readonly threads: number
}

/**
 * A process of a job as sipid reports it (`status --tree`'s members, the
 * survivors of `kill --tree`): what /proc/PID/stat said when it was read.
 * @since 0.2.0
 * @category models
 */
export interface JobProcess {
  readonly pid: Pid
  /** The kernel's command name (`ProcessLineage.command`). */
  readonly command: string
  /** Its state letter (`ProcessLineage.state`): D is an uninterruptible sleep that even SIGKILL waits for. */
  readonly state: string
}

export const jobProcessOf = ({ command, identity, state }: ProcessLineage): JobProcess => ({ pid: identity.pid, command, state })

/**
 * True when the process has exited: Z, and no thread of it still runs. A
 * process whose main thread exited (pthread_exit) shows Z too, but lives on
 * until its last thread ends.
 */
export const hasExited = (task: Pick<ProcessLineage, "state" | "threads">): boolean => task.state === "Z" && task.threads <= 1

/**
 * @since 0.1.0
 * @category services
 */
export interface ProcessesService {
  /** The boot this table describes (/proc/sys/kernel/random/boot_id), as every `ProcessIdentity` from it carries. */
  readonly bootId: string
  /** /proc/sys/kernel/pid_max: the largest PID this kernel hands out. */
  readonly pidMax: Effect.Effect<number>
  /** What `pid` is right now. Zombies are reported apart: they are dead but not yet reaped. */
  readonly inspect: (pid: Pid) => Effect.Effect<ProcessState, OsError | ProcessHidden>
  /**
   * Opens the live process `pid` for signalling, or `Gone` if it has exited
   * (zombie included) or `pid` names a thread, not a process. The handle is
   * released with the scope.
   */
  readonly open: (pid: Pid) => Effect.Effect<ProcessHandle | Gone, OsError | ProcessHidden, Scope.Scope>
  /** `pid`'s stat line, or none when no process holds `pid` (a zombie shows state Z). */
  readonly lineage: (pid: Pid) => Effect.Effect<Option.Option<ProcessLineage>, OsError>
  /** The child processes of every thread of `pid` (threads are never listed); none once it has exited. */
  readonly children: (pid: Pid) => Effect.Effect<ReadonlyArray<Pid>, OsError>
  /** Every process in sipid's PID namespace except init, for finding a session's or group's processes. */
  readonly allPids: Effect.Effect<ReadonlyArray<Pid>, OsError>
  /**
   * The PID the kernel handed out last (to a process or a thread). While it
   * stays the same, no process was created: nothing new to discover.
   */
  readonly newestPid: Effect.Effect<number, OsError>
  /**
   * How many processes and threads the kernel has created since boot
   * (/proc/stat's `processes`, counted across every PID namespace). With
   * the newest PID, it bounds how far the kernel's PID counter can have
   * moved, so whether a PID may have been handed out again.
   */
  readonly forkCount: Effect.Effect<number, OsError>
  /**
   * Now, in the clock ticks of `ProcessIdentity.startTicks` (/proc/uptime):
   * every process started before this reading shows at most this start
   * time, and every one started after it at least this.
   */
  readonly startTicksNow: Effect.Effect<number, OsError>
  /**
   * The scheduler autogroup `pid` is in (/proc/PID/autogroup), none when
   * `pid` is gone, sits in the root group, or the kernel has no autogroups
   * (CONFIG_SCHED_AUTOGROUP). setsid(2) puts its caller in a new one,
   * numbered above every one before it in this boot (numbers are never
   * handed out twice, short of 2^32 of them), a child starts in its
   * parent's, and nothing else moves a process. So one number belongs to
   * one session from the setsid that made it: a stranger that later makes
   * a session with the same ID (a reused PID) gets another.
   */
  readonly autogroup: (pid: Pid) => Effect.Effect<Option.Option<number>, OsError>
  /**
   * Completes with the newest PID once it is no longer `seen`, checking now
   * and then every `every`: waiting for a process to be created. A quiet
   * machine makes this the only work `kill --tree` does while it waits.
   */
  readonly newestPidAfter: (seen: number, every: Duration.Duration) => Effect.Effect<number, OsError>
  /**
   * The handles (opened by this service) whose process has exited, zombie
   * included, waiting up to `timeout` for at least one when none has yet.
   * One wait for many processes: a job's members are watched by a single
   * poll, where a wait per handle would hold a pool thread each. Handles
   * pinned by identity are checked in /proc now, and while waiting at an
   * interval that grows with their number (at least once a second).
   */
  readonly exitedAmong: (
    handles: ReadonlyArray<ProcessHandle>,
    timeout: Duration.Duration
  ) => Effect.Effect<ReadonlyArray<ProcessHandle>, OsError | ProcessHidden>
}

/**
 * @since 0.1.0
 * @category services
 */
// Stryker disable next-line StringLiteral: a tag's key only has to differ from the other tags' keys, and "" does too
export class Processes extends Context.Tag("sipid/Processes")<Processes, ProcessesService>() {}
