/**
 * `status`: what a pidfile says about its process, read-only. It takes no
 * lock, so it answers during a kill or claim: the atomic publish means it
 * sees the old or the new pidfile, never a partial one.
 */
import { Data, Effect, Option } from "effect"
import type { Pid } from "../process/Pid.js"
import type { Processes } from "../process/Processes.js"
import { readContent } from "./content.js"
import { findOccupant, type Stale } from "./occupant.js"
import { PidfileFiles } from "./PidfileFiles.js"

/**
 * @since 0.1.0
 * @category outcomes
 */
export type PidfileStatus = Data.TaggedEnum<{
  /** `owner`: the uid that owns the pidfile, whose word `kill` takes only for processes that uid could signal. */
  Running: { readonly pid: Pid; readonly owner: number }
  /** The pidfile exists but its process does not: exited, zombie, or the PID was reused. `owner` as for `Running`. */
  Stale: Stale & { readonly owner: number }
  NoPidfile: {}
  /** The pidfile cannot be read or holds no valid PID. */
  Unknown: { readonly reason: string }
}>

export const PidfileStatus = Data.taggedEnum<PidfileStatus>()

/**
 * @since 0.1.0
 * @category programs
 */
export const status: (path: string) => Effect.Effect<PidfileStatus, never, PidfileFiles | Processes> = Effect.fn("sipid/status")(
  function*(path: string) {
    // Stryker disable next-line ObjectLiteral: span attributes are trace data, which no unit test reads
    yield* Effect.annotateCurrentSpan({ pidfile: path })
    const files = yield* PidfileFiles
    const opened = yield* files.open(path)
    if (Option.isNone(opened)) return PidfileStatus.NoPidfile()
    const content = yield* readContent(opened.value)
    if (content._tag === "Empty") return PidfileStatus.Unknown({ reason: `${path} is empty` })
    if (content._tag === "Invalid") return PidfileStatus.Unknown({ reason: `${path}: ${content.reason}` })
    const occupant = yield* findOccupant(path, opened.value.uid, content.pid)
    return occupant._tag === "Running" ? PidfileStatus.Running({ pid: content.pid, owner: opened.value.uid }) : PidfileStatus.Stale({ ...occupant, owner: opened.value.uid })
  },
  Effect.scoped,
  Effect.catchAll((error) => Effect.succeed(PidfileStatus.Unknown({ reason: error.message })))
)

/**
 * The one line `sipid status` prints.
 * @since 0.1.0
 * @category formatting
 */
export const describeStatus = (path: string, status: PidfileStatus): string =>
  PidfileStatus.$match(status, {
    Running: ({ pid }) => `running: process ${pid} (${path})`,
    Stale: ({ reason }) => `not running: ${reason}; stale pidfile ${path}`,
    NoPidfile: () => `not running: no pidfile at ${path}`,
    Unknown: ({ reason }) => `unknown: ${reason}`
  })
