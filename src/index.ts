/**
 * sipid as a library: the pidfile programs, the services they depend on,
 * and their live layers, for use inside other Effect apps. The health check
 * lives in "sipid/health", so that importing this module does not load an
 * HTTP stack; the test layers live in "sipid/testing".
 */
export * as Pidfile from "./pidfile/programs.js"
export * from "./errors.js"
export { StillHealthy, Unhealthy } from "./health/verdict.js"
export { type Pid, parsePid, parsePidfileContent, PidfileContent } from "./process/Pid.js"
export * from "./process/Processes.js"
export * as ProcessesLive from "./process/ProcessesLive.js"
export * as StopSchedule from "./process/stopSchedule.js"
export { runStopSchedule, StopOutcome } from "./process/runStopSchedule.js"
export * from "./pidfile/PidfileFiles.js"
export * as PidfileFilesLive from "./pidfile/PidfileFilesLive.js"
export { lock, type LockedPidfile, type LockError, maxLockAttempts, PidfileLock } from "./pidfile/lock.js"
export { Libc, LibcLive } from "./native/Libc.js"
export { SipidLive } from "./SipidLive.js"
export { parseGoDuration, formatGoDuration } from "./time/goDuration.js"
