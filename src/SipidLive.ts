/**
 * The live services behind claim, kill and status, ready to provide:
 * the real file system, /proc, and libc through FFI.
 */
import { Layer } from "effect"
import { LibcLive } from "./native/Libc.js"
import * as PidfileFilesLive from "./pidfile/PidfileFilesLive.js"
import * as ProcessesLive from "./process/ProcessesLive.js"

/**
 * @since 0.1.0
 * @category layers
 */
export const SipidLive = Layer.mergeAll(PidfileFilesLive.layer, ProcessesLive.layer()).pipe(Layer.provide(LibcLive))
