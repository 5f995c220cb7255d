/**
 * Who a pidfile's PID names right now: the process sipid recorded, nobody,
 * a zombie, or an unrelated process that took over the PID. `claim`,
 * `kill` and `status` all decide from this one judgement; a pidfile naming
 * a thread is invalid for all three.
 */
import { Effect, Option } from "effect"
import { PidfileInvalid, type SystemError } from "../errors.js"
import type { Pid } from "../process/Pid.js"
import { isSameProcess, isThread, type ProcessIdentity, Processes, type ProcessState } from "../process/Processes.js"
import { readIdentityRecord } from "./identityRecord.js"
import type { PidfileFiles } from "./PidfileFiles.js"

type Alive = Extract<ProcessState, { _tag: "Alive" }>

export type Occupant =
  /** Alive, and either the recorded process or (without a record) presumed to be. */
  | { readonly _tag: "Running"; readonly process: Alive }
  | { readonly _tag: "Exited" }
  /** Dead but not reaped by its parent: it will never run again. */
  | { readonly _tag: "Zombie" }
  /** Alive, but not the process that was claimed: the PID was reused. */
  | { readonly _tag: "Reused"; readonly process: Alive; readonly recorded: ProcessIdentity }

export const findOccupant = (
  pidfile: string,
  pidfileOwner: number,
  pid: Pid
): Effect.Effect<Occupant, SystemError | PidfileInvalid, Processes | PidfileFiles> =>
  Effect.gen(function*() {
    const state = yield* (yield* Processes).inspect(pid)
    if (state._tag === "Gone") return { _tag: "Exited" } as const
    if (state._tag === "Zombie") return { _tag: "Zombie" } as const
    // Only a process is a pidfile's occupant; a thread's ID cannot be signalled on its own.
    if (isThread(state)) {
      return yield* new PidfileInvalid({
        path: pidfile,
        reason: `names ${pid}, a thread of process ${state.threadGroup}, not a process`
      })
    }
    const recorded = yield* readIdentityRecord(pidfile, pid, pidfileOwner)
    return Option.isSome(recorded) && !isSameProcess(state, recorded.value)
      ? { _tag: "Reused", process: state, recorded: recorded.value } as const
      : { _tag: "Running", process: state } as const
  })

/** Why a pidfile whose PID does not name its process is stale, for log lines. */
export const describeStale = (pid: Pid, occupant: Exclude<Occupant, { _tag: "Running" }>): string => {
  switch (occupant._tag) {
    case "Exited":
      return `process ${pid} has exited`
    case "Zombie":
      return `process ${pid} is a zombie (exited, not yet reaped)`
    case "Reused":
      return `PID ${pid} now belongs to another process (started at tick ${occupant.process.identity.startTicks}, not ${occupant.recorded.startTicks}${
        occupant.process.identity.bootId === occupant.recorded.bootId ? "" : ", or after a reboot"
      })`
  }
}
