/** Reading a pidfile's content the one way sipid judges it: strictly, against this kernel's pid_max. */
import { Effect } from "effect"
import type { SystemError } from "../errors.js"
import { type PidfileContent, parsePidfileContent } from "../process/Pid.js"
import { Processes } from "../process/Processes.js"
import { type OpenFile, PidfileFiles } from "./PidfileFiles.js"

export const readContent = (file: OpenFile): Effect.Effect<PidfileContent, SystemError, PidfileFiles | Processes> =>
  Effect.gen(function*() {
    const text = yield* (yield* PidfileFiles).read(file)
    return parsePidfileContent(text, yield* (yield* Processes).pidMax)
  })
