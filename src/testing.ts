/**
 * sipid's test layers ("sipid/testing"), for testing an app that embeds
 * sipid: a simulated process table driven by Effect's Clock (so a 20 s
 * grace period runs in milliseconds under `TestClock`) and an in-memory
 * file system with inodes, hard links and flocks. Both refuse what the
 * live layers refuse (an unvalidated PID dies, a missing directory is
 * ENOENT). Their controls, `ProcessTable` and `SimulatedFiles`, are tags
 * with accessors in the style of `TestClock.adjust`:
 * `yield* ProcessTable.spawn()`. Kept apart from "sipid", which holds what
 * production needs.
 */
import { Layer } from "effect"
import * as PidfileFilesTest from "./pidfile/PidfileFilesTest.js"
import * as ProcessesTest from "./process/ProcessesTest.js"

/**
 * The in-memory file system: `layer`, and `SimulatedFiles`, its controls.
 * @since 0.1.0
 * @category layers
 */
export * as PidfileFilesTest from "./pidfile/PidfileFilesTest.js"
/**
 * The simulated process table on Effect's Clock: `layer(options)`, and `ProcessTable`, its controls.
 * @since 0.1.0
 * @category layers
 */
export * as ProcessesTest from "./process/ProcessesTest.js"
export { SimulatedFiles } from "./pidfile/PidfileFilesTest.js"
export { type Behaviour, type Fate, ProcessTable, Reaction, type SpawnSpec, type TableEvent } from "./process/ProcessesTest.js"

/**
 * Every service the pidfile programs need, simulated: `Processes` with its
 * `ProcessTable` controls and `PidfileFiles` with its `SimulatedFiles`
 * controls. Each use builds a fresh table and file system.
 * @since 0.1.0
 * @category layers
 */
export const SipidTest = (options: ProcessesTest.TestOptions = {}) => Layer.merge(ProcessesTest.layer(options), PidfileFilesTest.layer)
