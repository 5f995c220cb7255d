/**
 * What is left of a job whose main process has exited: the processes still
 * in the session it made (its children were re-parented when it exited;
 * only the session still ties them to it).
 *
 * A session's ID is the PID of the process that made it, and the kernel
 * hands that PID to no new process while anyone is still in the session.
 * So whoever is in session X now is the job's, unless X was freed and
 * handed out again since, to a stranger that made a session of its own
 * with it. Counting the processes created since cannot rule that out (PIDs
 * in use are passed over without a process being created, and
 * /proc/sys/kernel/ns_last_pid or clone3's set_tid hand out a chosen PID
 * at once), so sipid relies only on what no process can forge:
 *
 * - X holds the main process's zombie: X was never freed.
 * - X holds another process: X was freed, so the job's session had emptied
 *   first. Nothing of the job is left to find.
 * - X holds nobody: setsid(2) put the main process in a new scheduler
 *   autogroup, numbered as none before it, which the identity record
 *   keeps. Only processes of the session that setsid made are in it (a
 *   child starts in its parent's; nothing but setsid moves a process, and
 *   setsid makes a new session too), so a process in session X and in that
 *   autogroup is the job's; one in session X and another autogroup is a
 *   stranger's, and is left alone. A record without it (an older sipid's,
 *   a kernel without autogroups) stops nothing.
 */
import { Effect, Either, Option } from "effect"
import type { OsError } from "../os/OsError.js"
import { hasExited, isSameProcess, type ProcessIdentity, Processes } from "./Processes.js"
import type { Job } from "./tree.js"

/** What the identity record says of the session the claimed process made. */
export interface ClaimedSession {
  /** The claimed process's autogroup at the claim (`Processes.autogroup`). */
  readonly autogroup: number
  /** Processes and threads created since boot by then (/proc/stat `processes`). */
  readonly forks: number
}

/**
 * The kernel numbers autogroups with a 32-bit counter: only after this
 * many more could one get the number of the main process's again. Each
 * comes from a setsid, and a process calls setsid once at most (it then
 * leads a session and may not again), so that takes as many processes.
 */
const autogroupNumbers = 2 ** 32

/**
 * The job that `recorded`, a main process that has exited, left behind, or
 * why it cannot be told apart from strangers (the caller then signals
 * nothing).
 */
export const remainsOf = (
  recorded: ProcessIdentity,
  session: Option.Option<ClaimedSession>,
  rules: Omit<Job, "main">
): Effect.Effect<Either.Either<Job, string>, OsError, Processes> =>
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
    if (Option.isNone(session)) {
      return Either.left(
        "its identity record (written by an older sipid, or on a kernel without autogroups) does not name the autogroup its setsid made, which alone tells its session from a stranger's"
      )
    }
    const created = (yield* processes.forkCount) - session.value.forks
    // Processes that existed at the claim may call setsid too: at most pid_max of them.
    if (created + (yield* processes.pidMax) >= autogroupNumbers) {
      return Either.left(`${created} processes were created since the claim, enough for its autogroup's number to have been handed out again`)
    }
    return Either.right({
      ...rules,
      autogroup: session.value.autogroup,
      main: {
        // Its session carries its PID, and discovery reads nothing else of an
        // exited main process. No group: only the session has an autogroup
        // to tell its members by (its group's are in it anyway).
        // Stryker disable next-line StringLiteral,BooleanLiteral: command, state and kernelThread of the main process are never read
        lineage: { identity: recorded, command: "", state: "X", parent: 0, processGroup: 0, session: pid, kernelThread: false, threads: 0 }
      }
    })
  })
