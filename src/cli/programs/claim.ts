/** `sipid claim`: the PID checked against this kernel's pid_max, then the library's claim (with --tree, what a stale pidfile's job left is stopped first). */
import { Effect, Either } from "effect"
import { UsageError } from "../UsageError.js"
import { claim } from "../../pidfile/claim.js"
import { parsePid } from "../../process/Pid.js"
import { Processes } from "../../process/Processes.js"
import { SipidLive } from "../../SipidLive.js"
import type * as Commands from "../commands.js"
import type { Values } from "../spec.js"

export const program = (options: Values<typeof Commands.claim.options>) =>
  Effect.gen(function*() {
    const pidMax = yield* (yield* Processes).pidMax
    const pid = yield* Either.mapLeft(parsePid(options.pid, pidMax), (error) => new UsageError({ detail: `--pid: ${error.message}` }))
    yield* claim({ path: options.pidFile, pid, ...(options.tree && { tree: {} }) })
  }).pipe(Effect.provide(SipidLive))
