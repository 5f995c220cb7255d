/**
 * `claim`: make the pidfile name a process, unless a live process already
 * owns it. Safe against concurrent claims and kills (the lock), against
 * readers that do not lock, such as monit (atomic publish), and against
 * stale pidfiles and reused PIDs (the identity record).
 */
import { Effect, Option } from "effect"
import { dirname } from "node:path"
import { PidfileOwned, UsageError } from "../errors.js"
import type { Pid } from "../process/Pid.js"
import { isThread, Processes } from "../process/Processes.js"
import { readContent } from "./content.js"
import { writeIdentityRecord } from "./identityRecord.js"
import { lock } from "./lock.js"
import { describeStale, findOccupant } from "./occupant.js"
import { PidfileFiles } from "./PidfileFiles.js"

export interface ClaimRequest {
  /** The pidfile to claim. */
  readonly path: string
  /** The process that will own it; must be running. */
  readonly pid: Pid
}

export type ClaimOutcome = "Claimed" | "AlreadyClaimed"

export const claim = ({ path, pid }: ClaimRequest) =>
  Effect.gen(function*() {
    const files = yield* PidfileFiles
    const processes = yield* Processes

    const claimant = yield* processes.inspect(pid)
    if (claimant._tag !== "Alive") {
      return yield* new UsageError({
        detail: `PID ${pid} is not a running process; pass the PID of the job's process (in a start script, "$$" before exec)`
      })
    }
    if (isThread(claimant)) {
      return yield* new UsageError({ detail: `PID ${pid} is a thread of process ${claimant.threadGroup}; pass ${claimant.threadGroup}` })
    }

    yield* files.makeDirectory(dirname(path))
    const locked = yield* lock(path, { create: true }).pipe(Effect.map(Option.getOrThrow))
    const content = yield* readContent(locked.file)

    switch (content._tag) {
      case "Empty":
        yield* Effect.logInfo("pidfile is new or empty")
        break
      case "Invalid":
        yield* Effect.logWarning(`pidfile is stale: ${content.reason}`)
        break
      case "Valid": {
        const occupant = yield* findOccupant(path, content.pid)
        if (occupant._tag === "Running") {
          if (content.pid !== pid) return yield* new PidfileOwned({ path, pid: content.pid })
          yield* Effect.logInfo(`already claimed by process ${pid}; nothing to do`)
          return "AlreadyClaimed" satisfies ClaimOutcome
        }
        yield* Effect.logWarning(`pidfile is stale: ${describeStale(content.pid, occupant)}`)
      }
    }

    // Record first: a record naming another PID than the pidfile is ignored,
    // so a crash between the two writes leaves nothing misleading.
    yield* writeIdentityRecord(path, claimant.identity)
    yield* files.publish(path, `${pid}\n`)
    yield* Effect.logInfo(`claimed for process ${pid}`)
    return "Claimed" satisfies ClaimOutcome
  }).pipe(Effect.scoped, Effect.annotateLogs({ pid, pidfile: path }))
