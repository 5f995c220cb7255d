/**
 * `status --tree`: the processes a `kill --tree` would reach now, found the
 * same way (descendants, and the session or group the process leads).
 * Read-only: it signals nothing and takes no lock.
 */
import { Effect, Option } from "effect"
import type { ProcessHidden, SystemError } from "../errors.js"
import type { Pid } from "../process/Pid.js"
import { Processes } from "../process/Processes.js"
import { discover, jobOf, type Member } from "../process/tree.js"

export interface JobMember {
  readonly pid: number
  readonly command: string
  /** How it belongs to the job: `child of 1080`, `in session 1080`, ... */
  readonly via: string
}

/** The job of the running process `pid`, main process first; empty if it has just exited. */
export const jobMembers = (
  pid: Pid,
  excluded: ReadonlyArray<number> = [process.pid, process.ppid]
): Effect.Effect<ReadonlyArray<JobMember>, SystemError | ProcessHidden, Processes> =>
  Effect.gen(function*() {
    const handle = yield* (yield* Processes).open(pid)
    if (handle._tag === "Gone") return []
    const job = yield* jobOf(handle, { excluded, mayStop: () => true })
    if (Option.isNone(job)) return []
    const others = yield* discover(job.value, [job.value.main], { scan: true })
    return [job.value.main, ...others].map(describeMember)
  }).pipe(Effect.scoped)

const describeMember = ({ handle, lineage, via }: Member): JobMember => ({ pid: handle.identity.pid, command: lineage.command, via })

/** One line per member, for `sipid status --tree`. */
export const describeMembers = (members: ReadonlyArray<JobMember>): string =>
  members.map(({ command, pid, via }) => `  ${pid} ${command} (${via})`).join("\n")
