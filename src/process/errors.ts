/**
 * What the process programs fail with: text that is no PID or stop
 * schedule, a process that outlived its schedule, a job not seen whole, a
 * process /proc hides.
 */
import { Data, type Duration } from "effect"
import { formatGoDuration } from "../time/goDuration.js"
import type { Pid } from "./Pid.js"
import type { JobProcess } from "./Processes.js"

/**
 * Text that is not a PID sipid may act on (`parsePid`).
 * @since 0.1.0
 * @category errors
 */
export class InvalidPid extends Data.TaggedError("InvalidPid")<{
  readonly input: string
  /** The whole sentence: what is wrong with `input`. */
  readonly reason: string
}> {
  override get message(): string {
    return this.reason
  }
}

/**
 * Text that is not a stop schedule in `--retry` syntax (`parseStopSchedule`).
 * @since 0.1.0
 * @category errors
 */
export class InvalidStopSchedule extends Data.TaggedError("InvalidStopSchedule")<{
  readonly input: string
  readonly reason: string
}> {
  override get message(): string {
    return `invalid schedule "${this.input}": ${this.reason}`
  }
}

/**
 * `kill`: the process outlived every step of the schedule. The pidfile is kept.
 * @since 0.1.0
 * @category errors
 */
export class ProcessSurvived extends Data.TaggedError("ProcessSurvived")<{
  readonly path: string
  readonly pid: Pid
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
  readonly pid: Pid
  /** From the first signal to giving up. */
  readonly waited: Duration.Duration
  readonly sentKill: boolean
  readonly survivors: ReadonlyArray<JobProcess>
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

/**
 * `kill --tree`: processes of the job outlived everything sent to them. The pidfile is kept.
 * @since 0.1.0
 * @category errors
 */
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
 * @since 0.2.0
 * @category errors
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

/**
 * `/proc/PID` is hidden from sipid (/proc mounted with hidepid), yet the
 * process exists: sipid cannot tell who it is, so it must not act on it.
 * @since 0.1.0
 * @category errors
 */
export class ProcessHidden extends Data.TaggedError("ProcessHidden")<{
  readonly pid: Pid
}> {
  override get message(): string {
    return `process ${this.pid}: it exists but /proc/${this.pid} is hidden (/proc mounted with hidepid?)`
  }
}
