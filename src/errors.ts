/**
 * Every failure the library can report, as one union. Each error lives
 * with its area (`pidfile/errors.ts`, `process/errors.ts`,
 * `health/errors.ts`, `run/errors.ts`, `os/OsError.ts`); each renders as one
 * line that names the file or value and what is wrong. The CLI edge adds
 * the sipid command or option that helps (`cli/advice.ts`) and turns the
 * tag into an exit code (`cli/exitCodes.ts`).
 */
import type { InvalidProbeSetting, TlsFileInvalid } from "./health/errors.js"
import type { StillHealthy, Unhealthy } from "./health/verdict.js"
import type { OsError } from "./os/OsError.js"
import type { ClaimantInvalid, LockRetriesExhausted, PidfileInvalid, PidfileLocked, PidfileOwned } from "./pidfile/errors.js"
import type { InvalidPid, InvalidStopSchedule, JobSurvived, JobUnseen, ProcessHidden, ProcessSurvived } from "./process/errors.js"
import type { CommandNotExecutable, CommandNotFound, UnknownAccount } from "./run/errors.js"
import type { InvalidDuration } from "./time/InvalidDuration.js"

/**
 * @since 0.1.0
 * @category errors
 */
export type SipidError =
  | ClaimantInvalid
  | InvalidPid
  | InvalidStopSchedule
  | InvalidDuration
  | InvalidProbeSetting
  | TlsFileInvalid
  | PidfileLocked
  | LockRetriesExhausted
  | PidfileInvalid
  | PidfileOwned
  | ProcessSurvived
  | JobSurvived
  | JobUnseen
  | Unhealthy
  | StillHealthy
  | CommandNotFound
  | CommandNotExecutable
  | UnknownAccount
  | ProcessHidden
  | OsError
