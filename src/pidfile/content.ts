/** Reading a pidfile's content the one way sipid judges it: strictly, against this kernel's pid_max. */
import { Effect, Option } from "effect"
import type { OsError } from "../os/OsError.js"
import { PidfileContent, parsePidfileContent } from "../process/Pid.js"
import { Processes } from "../process/Processes.js"
import { type OpenFile, PidfileFiles } from "./PidfileFiles.js"

/**
 * The largest pidfile sipid accepts: a PID has at most 7 digits, and this
 * leaves generous room for the whitespace around it. The whole file is
 * judged, so a valid PID followed by anything past this size is refused.
 */
export const maxPidfileBytes = 128

export const readContent = (file: OpenFile): Effect.Effect<PidfileContent, OsError, PidfileFiles | Processes> =>
  Effect.gen(function*() {
    const text = yield* (yield* PidfileFiles).read(file, maxPidfileBytes)
    if (Option.isNone(text)) {
      return PidfileContent.Invalid({ reason: `is larger than ${maxPidfileBytes} bytes, more than one PID and whitespace` })
    }
    return parsePidfileContent(text.value, yield* (yield* Processes).pidMax)
  })
