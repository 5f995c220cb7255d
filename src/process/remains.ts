/**
 * What is left of a job whose main process has exited: the processes still
 * in the session or process group it led (its children were re-parented
 * when it exited; only the session and group still tie them to it).
 *
 * A session's or group's ID is the PID of the process that made it, and the
 * kernel hands that PID to no new process while anyone is still in the
 * session or group. So whoever is in session X now is the job's, unless X
 * was freed and handed out again since, to a stranger that made a session of
 * its own with it and exited in turn. Before anything is signalled, sipid
 * shows that this cannot have happened:
 *
 * - X holds the main process's zombie: X was never freed.
 * - X holds another process: X was freed, so the job's session and group
 *   had emptied first. Nothing of the job is left to find.
 * - X holds nobody: the kernel hands out PIDs in a cycle (from 300 up to
 *   pid_max, then round again), so X came round again only after the
 *   counter had passed every free PID in between. The identity record says
 *   where the counter stood at the claim and how many processes had been
 *   created by then; sipid goes on only while the processes created since
 *   are fewer than half the PIDs the counter had to pass to reach X again
 *   (half, because PIDs in use are passed without a process being created).
 */
import { Effect, Either, Option } from "effect"
import type { SystemError } from "../errors.js"
import { hasExited, isSameProcess, type ProcessIdentity, Processes } from "./Processes.js"
import type { Job } from "./tree.js"

/** Where the kernel's PID counter stood when the process was claimed (the identity record keeps it). */
export interface PidCounter {
  /** Processes and threads created since boot (/proc/stat `processes`). */
  readonly forks: number
  /** The newest PID handed out. */
  readonly newestPid: number
}

/** The kernel's RESERVED_PIDS: once the counter has wrapped, it starts again here. */
const firstReusedPid = 300

/** How many PIDs the counter, standing at `newest`, must hand out or pass before `pid` comes round again. */
export const pidsBeforeReuse = (pid: number, newest: number, pidMax: number): number =>
  pid > newest ? pid - newest : pid < firstReusedPid ? Infinity : pidMax - newest + (pid - firstReusedPid)

/**
 * The job that `recorded`, a main process that has exited, left behind, or
 * why it cannot be told apart from strangers (the caller then signals
 * nothing).
 */
export const remainsOf = (
  recorded: ProcessIdentity,
  counter: Option.Option<PidCounter>,
  rules: Omit<Job, "main">
): Effect.Effect<Either.Either<Job, string>, SystemError, Processes> =>
  Effect.gen(function*() {
    const processes = yield* Processes
    const { pid } = recorded
    const now = yield* processes.lineage(pid)
    if (Option.isSome(now)) {
      if (!isSameProcess(now.value.identity, recorded)) {
        return Either.left(`PID ${pid} belongs to another process now, so nothing is left of the job's session or group`)
      }
      return hasExited(now.value)
        ? Either.right({ ...rules, main: { lineage: now.value } })
        : Either.left(`process ${pid} is still running`)
    }
    if (recorded.bootId !== processes.bootId) return Either.left("its identity record is from an earlier boot")
    if (Option.isNone(counter)) {
      return Either.left("its identity record (written by an older sipid) does not say where the PID counter stood")
    }
    const created = (yield* processes.forkCount) - counter.value.forks
    const margin = pidsBeforeReuse(pid, counter.value.newestPid, yield* processes.pidMax) / 2
    if (created >= margin) {
      return Either.left(`${created} processes were created since the claim, enough for PID ${pid} to have been handed out again`)
    }
    // The session and group it may have led carry its PID; discovery looks
    // for both, and reads nothing else of an exited main process.
    return Either.right({
      ...rules,
      main: {
        // Stryker disable next-line StringLiteral,BooleanLiteral: command, state and kernelThread of the main process are never read
        lineage: { identity: recorded, command: "", state: "X", parent: 0, processGroup: pid, session: pid, kernelThread: false, threads: 0 }
      }
    })
  })
