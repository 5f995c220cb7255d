/**
 * `status`: what a pidfile says about its process, read-only. It takes no
 * lock, so it answers during a kill or claim: the atomic publish means it
 * sees the old or the new pidfile, never a partial one.
 */
import { Effect, Option } from "effect"
import type { Pid } from "../process/Pid.js"
import type { Processes } from "../process/Processes.js"
import { readContent } from "./content.js"
import { describeStale, findOccupant } from "./occupant.js"
import { PidfileFiles } from "./PidfileFiles.js"

export type PidfileStatus =
  | { readonly _tag: "Running"; readonly pid: Pid }
  /** The pidfile exists but its process does not: exited, zombie, or the PID was reused. */
  | { readonly _tag: "Stale"; readonly pid: Pid; readonly reason: string }
  | { readonly _tag: "NoPidfile" }
  /** The pidfile cannot be read or holds no valid PID. */
  | { readonly _tag: "Unknown"; readonly reason: string }

export const status = (path: string): Effect.Effect<PidfileStatus, never, PidfileFiles | Processes> =>
  Effect.gen(function*() {
    const files = yield* PidfileFiles
    const opened = yield* files.open(path)
    if (Option.isNone(opened)) return { _tag: "NoPidfile" } as const
    const content = yield* readContent(opened.value).pipe(Effect.ensuring(files.close(opened.value)))
    if (content._tag === "Empty") return { _tag: "Unknown", reason: `${path} is empty` } as const
    if (content._tag === "Invalid") return { _tag: "Unknown", reason: `${path}: ${content.reason}` } as const
    const occupant = yield* findOccupant(path, opened.value.uid, content.pid)
    return occupant._tag === "Running"
      ? ({ _tag: "Running", pid: content.pid } as const)
      : ({ _tag: "Stale", pid: content.pid, reason: describeStale(content.pid, occupant) } as const)
  }).pipe(
    Effect.catchAll((error) => Effect.succeed({ _tag: "Unknown", reason: error.message } as const))
  )

/** The one line `sipid status` prints. */
export const describeStatus = (path: string, status: PidfileStatus): string => {
  switch (status._tag) {
    case "Running":
      return `running: process ${status.pid} (${path})`
    case "Stale":
      return `not running: ${status.reason}; stale pidfile ${path}`
    case "NoPidfile":
      return `not running: no pidfile at ${path}`
    case "Unknown":
      return `unknown: ${status.reason}`
  }
}
