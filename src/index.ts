/**
 * sipid as a library: the pidfile programs, the services they depend on,
 * their live layer, their errors, for use inside other Effect apps. Each
 * export is named here: a module's other exports are sipid's own. The health
 * gates live in "sipid/health", so that importing this module does not load
 * an HTTP stack; the test layers live in "sipid/testing".
 */

// The programs: claim, kill, status, a scoped claim, a job's members.
/**
 * @since 0.1.0
 * @category programs
 */
export * as Pidfile from "./pidfile/programs.js"
export { lock, type LockedPidfile, type LockError, PidfileLock } from "./pidfile/lock.js"
/**
 * @since 0.1.0
 * @category stop schedules
 */
export * as StopSchedule from "./process/stopSchedule.js"
export { runStopSchedule, ScheduleOutcome } from "./process/runStopSchedule.js"
export type { JobStopOptions } from "./process/stopJob.js"

// The services they depend on, and the live layer of both (the file system, /proc and libc).
export {
  type Alive,
  type Gone,
  isSameProcess,
  type JobProcess,
  type ProcessHandle,
  type ProcessIdentity,
  type ProcessLineage,
  Processes,
  type ProcessesService,
  ProcessState,
  type ProcessUids,
  type SignalName
} from "./process/Processes.js"
export { type FileNode, type OpenFile, PidfileFiles, type PidfileFilesService } from "./pidfile/PidfileFiles.js"
export { SipidLive } from "./SipidLive.js"

// Values the programs take.
export { type Pid, parsePid, parsePidfileContent, PidfileContent } from "./process/Pid.js"
export { formatGoDuration, parseGoDuration } from "./time/goDuration.js"

// What they fail with.
export { type SipidError } from "./errors.js"
export {
  ClaimantInvalid,
  ClaimantProblem,
  describePidfileProblem,
  LockRetriesExhausted,
  PidfileInvalid,
  PidfileLocked,
  PidfileOwned,
  PidfileProblem
} from "./pidfile/errors.js"
export { InvalidPid, InvalidStopSchedule, JobSurvived, JobUnseen, ProcessHidden, ProcessSurvived } from "./process/errors.js"
export { CommandNotExecutable, CommandNotFound, UnknownAccount } from "./run/errors.js"
export { InvalidDuration } from "./time/InvalidDuration.js"
export { InvalidProbeSetting, type TlsFile, TlsFileInvalid } from "./health/errors.js"
export { describeOsSubject, OsError, OsSubject } from "./os/OsError.js"
export { StillHealthy, Unhealthy } from "./health/verdict.js"
