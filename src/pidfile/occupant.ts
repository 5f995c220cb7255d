/**
 * Who a pidfile's PID names right now: the process sipid recorded, or
 * nobody of its own (the process exited, is a zombie, or an unrelated
 * process took over the PID), which makes the pidfile stale. `claim`,
 * `kill` and `status` all decide from this one judgement; a pidfile naming
 * a thread is invalid for all three.
 */
import { Data, Effect, Either, Option } from "effect"
import type { OsError } from "../os/OsError.js"
import { PidfileInvalid, PidfileProblem } from "./errors.js"
import type { ProcessHidden } from "../process/errors.js"
import type { Pid } from "../process/Pid.js"
import { type Alive, isSameProcess, isThread, Processes } from "../process/Processes.js"
import { remainsOf } from "../process/remains.js"
import type { Job } from "../process/tree.js"
import { readIdentityRecord } from "./identityRecord.js"
import type { PidfileFiles } from "./PidfileFiles.js"

/**
 * A pidfile whose PID names no live process of its own. Exited, zombie and
 * reused PIDs are one state: every program treats them alike and only the
 * `reason` (for log lines) tells them apart.
 * @since 0.1.0
 * @category outcomes
 */
export interface Stale {
  readonly pid: Pid
  readonly reason: string
}

export type Occupant = Data.TaggedEnum<{
  /**
   * Alive, and either the recorded process (`recorded`) or, without a usable
   * record, presumed to be.
   */
  Running: { readonly process: Alive; readonly recorded: boolean }
  Stale: Stale
}>

export const Occupant = Data.taggedEnum<Occupant>()

export const findOccupant = (
  pidfile: string,
  pidfileOwner: number,
  pid: Pid
): Effect.Effect<Occupant, OsError | ProcessHidden | PidfileInvalid, Processes | PidfileFiles> =>
  Effect.gen(function*() {
    const state = yield* (yield* Processes).inspect(pid)
    if (state._tag === "Gone") return Occupant.Stale({ pid, reason: `process ${pid} has exited` })
    if (state._tag === "Zombie") return Occupant.Stale({ pid, reason: `process ${pid} is a zombie (exited, not yet reaped)` })
    // Only a process is a pidfile's occupant; a thread's ID cannot be signalled on its own.
    if (isThread(state)) {
      return yield* new PidfileInvalid({ path: pidfile, problem: PidfileProblem.NamesThread({ pid, process: state.threadGroup }) })
    }
    const recorded = yield* readIdentityRecord(pidfile, pid, pidfileOwner)
    if (Option.isNone(recorded)) return Occupant.Running({ process: state, recorded: false })
    if (isSameProcess(state.identity, recorded.value)) return Occupant.Running({ process: state, recorded: true })
    const { bootId, startTicks } = state.identity
    return Occupant.Stale({
      pid,
      reason: `PID ${pid} now belongs to another process (started at tick ${startTicks}, not ${recorded.value.startTicks}${
        bootId === recorded.value.bootId ? "" : ", or after a reboot"
      })`
    })
  })

/**
 * What a stale pidfile's job left behind, for `--tree`: the session of its
 * exited main process, as a job to stop or list, when its identity record
 * tells the job's processes in it from a stranger's (src/process/remains.ts);
 * otherwise why not, and nothing is signalled.
 */
export const staleJob = (
  pidfile: string,
  pidfileOwner: number,
  pid: Pid,
  rules: Omit<Job, "main">
): Effect.Effect<Either.Either<Job, string>, OsError, Processes | PidfileFiles> =>
  Effect.flatMap(
    readIdentityRecord(pidfile, pid, pidfileOwner),
    Option.match({
      onNone: () => Effect.succeed(Either.left("there is no identity record to tell its processes from strangers'")),
      onSome: (recorded) => remainsOf(recorded, recorded.session, rules)
    })
  )
