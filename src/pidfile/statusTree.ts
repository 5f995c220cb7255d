/**
 * `status --tree`: the processes a `kill --tree` would signal now, found the
 * same way (descendants, and the session or group the process leads) and
 * judged by the same owner rule. Read-only: it signals nothing and takes no
 * lock.
 */
import { Effect, Either, Option } from "effect"
import type { OsError } from "../os/OsError.js"
import type { ProcessHidden } from "../process/errors.js"
import { type Pid, sipidAndParent } from "../process/Pid.js"
import { type JobProcess, jobProcessOf, type ProcessHandle, Processes } from "../process/Processes.js"
import { discover, jobOf, type Member } from "../process/tree.js"
import { staleJob } from "./occupant.js"
import type { PidfileFiles } from "./PidfileFiles.js"
import { ownerMaySignal, sipidUid } from "./trust.js"

/**
 * @since 0.1.0
 * @category outcomes
 */
export interface JobMember extends JobProcess {
  /** How it belongs to the job: `child of 1080`, `in session 1080`, ... */
  readonly via: string
}

/**
 * @since 0.1.0
 * @category outcomes
 */
export interface JobMembers {
  /** What `kill --tree` would signal now, the main process first; none if it has just exited. */
  readonly members: ReadonlyArray<JobMember>
  /**
   * Processes of the job the pidfile's owner could not signal, which `kill
   * --tree` leaves alone. When the main process is one, `kill` refuses the
   * pidfile and signals nothing, so `members` is empty.
   */
  readonly leftOut: ReadonlyArray<Pid>
}

/**
 * Whose word names the job, as `kill`'s `StopOptions` say it.
 * @since 0.1.0
 * @category options
 */
export interface JobMembersOptions {
  /** The uid that owns the pidfile (`PidfileStatus.Running`'s `owner`). Default: 0, root's, whose word goes for any process. */
  readonly pidfileOwner?: number
  /** Who would stop the job; the owner rule applies to root. Default: this process's uid. */
  readonly callerUid?: number
  /** Never members: the stopper and whoever started it. Default: this process and its parent. */
  readonly callerPids?: ReadonlyArray<Pid>
}

/** kill's rules for members, recording whom the owner rule leaves out. */
const ownerRules = ({ callerPids = sipidAndParent(), callerUid = sipidUid(), pidfileOwner = 0 }: JobMembersOptions) => {
  const leftOut: Array<Pid> = []
  const mayStop = (handle: ProcessHandle) => {
    const may = ownerMaySignal(pidfileOwner, handle, callerUid)
    if (!may) leftOut.push(handle.identity.pid)
    return may
  }
  return { leftOut, mayStop, excluded: callerPids, pidfileOwner }
}

/**
 * The job of the running process `pid` as `kill --tree` would find it now.
 * @since 0.1.0
 * @category programs
 */
export const jobMembers = (
  pid: Pid,
  options: JobMembersOptions = {}
): Effect.Effect<JobMembers, OsError | ProcessHidden, Processes> =>
  Effect.gen(function*() {
    const { excluded, leftOut, mayStop } = ownerRules(options)
    const handle = yield* (yield* Processes).open(pid)
    if (handle._tag === "Gone" || !mayStop(handle)) return { members: [], leftOut }
    const job = yield* jobOf(handle, { excluded, mayStop })
    if (Option.isNone(job)) return { members: [], leftOut }
    const { found } = yield* discover(job.value, [job.value.main], { scan: true })
    return { members: [job.value.main, ...found].map(describeMember), leftOut }
  }).pipe(Effect.scoped)

/**
 * For the stale pidfile `path` naming `pid`: what `kill --tree` would stop
 * of its job now (what its exited main process left behind), or why it
 * would stop nothing.
 * @since 0.1.0
 * @category programs
 */
export const staleJobMembers = (
  path: string,
  pid: Pid,
  options: JobMembersOptions = {}
): Effect.Effect<Either.Either<JobMembers, string>, OsError | ProcessHidden, Processes | PidfileFiles> =>
  Effect.gen(function*() {
    const { excluded, leftOut, mayStop, pidfileOwner } = ownerRules(options)
    const job = yield* staleJob(path, pidfileOwner, pid, { excluded, mayStop })
    if (Either.isLeft(job)) return Either.left(job.left)
    const { found } = yield* discover(job.right, [], { scan: true })
    return Either.right({ members: found.map(describeMember), leftOut })
  }).pipe(Effect.scoped)

const describeMember = ({ lineage, via }: Member): JobMember => ({ ...jobProcessOf(lineage), via })

/**
 * One line per member, for `sipid status --tree`.
 * @since 0.1.0
 * @category formatting
 */
export const describeMembers = (members: ReadonlyArray<JobMember>): string =>
  members.map(({ command, pid, via }) => `  ${pid} ${command} (${via})`).join("\n")

/**
 * The log line of `status --tree` about the job: its members, and what `kill --tree` would leave alone.
 * @since 0.1.0
 * @category formatting
 */
export const describeJob = (pid: Pid, pidfileOwner: number, { leftOut, members }: JobMembers): string =>
  `job of process ${pid}: ${members.length} process(es)${members.length === 0 ? "" : `: ${members.map((member) => member.pid).join(", ")}`}${
    leftOut.length === 0
      ? ""
      : leftOut.includes(pid)
      ? `; the pidfile's owner (uid ${pidfileOwner}) could not signal process ${pid}, so kill would refuse the pidfile and signal nothing`
      : `; ${leftOut.length} left out, which the pidfile's owner (uid ${pidfileOwner}) could not signal, so a stop of the tree leaves them alone: ${leftOut.join(", ")}`
  }`
