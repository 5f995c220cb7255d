/**
 * What a stale pidfile's job left behind (its main process died, its
 * workers live on in its session, holding its port): `kill --tree` stops
 * it before removing the pidfile, `claim --tree` (and `run`) before claiming,
 * and a claim without `--tree` names it in a warning, since once the pidfile
 * names the new process, nothing points at those leftovers any more.
 */
import { type Duration, Effect, Either } from "effect"
import { JobSurvived, JobUnseen } from "../process/errors.js"
import type { Pid } from "../process/Pid.js"
import { JobOutcome, type JobStopOptions, stopJob } from "../process/stopJob.js"
import { defaultSchedule } from "../process/stopSchedule.js"
import type { Job } from "../process/tree.js"
import { staleJob } from "./occupant.js"
import { staleJobMembers } from "./statusTree.js"

/** How long stopping the job took, or the error that says what of it is left or unknown. */
export const jobStopped = (path: string, pid: Pid, outcome: JobOutcome): Effect.Effect<Duration.Duration, JobSurvived | JobUnseen> =>
  JobOutcome.$match(outcome, {
    Exited: ({ after }) => Effect.succeed(after),
    Survived: ({ after, sentKill, survivors }) => new JobSurvived({ path, pid, waited: after, sentKill, survivors }),
    Unseen: ({ after, sentKill, survivors, unseen }) => new JobUnseen({ path, pid, waited: after, sentKill, survivors, ...unseen })
  })

/** The stale pidfile `path` (owned by `pidfileOwner`) names `pid`, which is not running for `reason`. */
export interface StalePidfile {
  readonly path: string
  readonly pidfileOwner: number
  readonly pid: Pid
  readonly reason: string
}

/**
 * Stops what is provably left of the job (src/process/remains.ts), with
 * kill --tree's steps for a main process that has exited: SIGTERM, the
 * grace, SIGKILL. Where it cannot tell the job's processes from a
 * stranger's it signals nothing, and says why.
 */
export const stopStaleJob = ({ path, pid, pidfileOwner, reason }: StalePidfile, rules: Omit<Job, "main">, tree: JobStopOptions) =>
  Effect.gen(function*() {
    const remains = yield* staleJob(path, pidfileOwner, pid, rules)
    if (Either.isLeft(remains)) {
      return yield* Effect.logWarning(`pidfile is stale: ${reason}; not looking for what is left of its job: ${remains.left}`)
    }
    yield* Effect.logWarning(`pidfile is stale: ${reason}; stopping what is left of its job`)
    // The main process has exited: only the steps after its exit run, whatever the schedule.
    yield* jobStopped(path, pid, yield* stopJob(remains.right, defaultSchedule(), tree))
  }).pipe(Effect.scoped)

/**
 * A claim over the stale pidfile: the stale line and, if its job left
 * processes running, either they are stopped first (`tree`) or a warning
 * names them. A job that left nothing costs one look and no more lines.
 */
export const claimOverStaleJob = (stale: StalePidfile, rules: Omit<Job, "main">, tree: JobStopOptions | undefined) =>
  Effect.gen(function*() {
    const { path, pid, pidfileOwner, reason } = stale
    const job = yield* staleJobMembers(path, pid, { pidfileOwner, callerPids: rules.excluded }).pipe(
      Effect.catchAll((error) => Effect.as(Effect.logWarning(`could not look for what is left of process ${pid}'s job: ${error.message}`), Either.left("")))
    )
    // Where nothing tells the job's processes from a stranger's, there is nothing to name or stop either.
    const members = Either.isRight(job) ? job.right.members : []
    if (members.length > 0 && tree !== undefined) return yield* stopStaleJob(stale, rules, tree)
    yield* Effect.logWarning(`pidfile is stale: ${reason}`)
    if (members.length === 0) return
    yield* Effect.logWarning(
      `process ${pid}'s job left ${members.length} process(es) running, which may hold its port or files: ${
        members.map((member) => `${member.pid} (${member.command})`).join(", ")
      }; once the pidfile names the new process nothing stops them: stop them first (claim --tree, or run without --keep-remains), or kill ${
        members.map((member) => member.pid).join(" ")
      }`
    )
  })
