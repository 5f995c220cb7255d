/**
 * What the command line advises doing about an error, in its own terms (a
 * sipid command, an option). The library's errors state the facts, and the
 * shell commands that show more (`ps ...`); a library caller has no
 * `--retry` to add.
 */
import type { CommandError } from "./UsageError.js"
import { tlsFileReport, unhealthyReport } from "./healthAdvice.js"

/** What usually fixes a file operation that failed with this code. */
const fileHints: Record<string, string> = {
  EACCES: "run as a user that may write there (BOSH scripts run as root)",
  EPERM: "run as a user that may write there (BOSH scripts run as root)",
  EROFS: "the file system is read-only; use a writable run directory",
  ENOSPC: "the disk is full",
  ENOTDIR: "a parent of the path is not a directory",
  EEXIST: "a file that is not a directory stands in the way; move it"
}

/** Operations that only look: permission trouble there is about reading, not writing. */
const readingOperations = new Set(["open", "read", "lstat", "list"])
const readHint = "run as a user that may read it (BOSH scripts run as root)"
const signalHint = "not permitted to signal it: run sipid as root or as the process's user"

/** `sipid run`'s set-up of the job's process (exec.ts): no file is involved, so no file hint fits. */
const processSetUp = /^(set|prctl|dup2|fcntl|signal|sigprocmask)/

/** What to do about a system call that failed: the operation and errno decide. */
const osAdvice = (operation: string, code: string): string | undefined =>
  code === "EPERM" && operation.startsWith("send ")
    ? signalHint
    : code === "EPERM" && operation.startsWith("set limit ")
    ? "a limit above the hard one needs CAP_SYS_RESOURCE, and nofile above fs.nr_open is refused even to root"
    : processSetUp.test(operation)
    ? undefined
    : code === "EACCES" && operation === "chdir"
    ? "the job's user may not enter it"
    : (code === "EACCES" || code === "EPERM") && readingOperations.has(operation)
    ? readHint
    : fileHints[code]

export const adviceFor = (error: CommandError): string | undefined => {
  switch (error._tag) {
    case "PidfileOwned":
      return `stop it first (sipid kill --pid-file ${error.path})`
    case "ProcessSurvived":
    case "JobSurvived":
    case "JobUnseen":
      return error.sentKill || (error._tag !== "ProcessSurvived" && error.survivors.length === 0) ? undefined : "add KILL/N to --retry to force it"
    case "ProcessHidden":
      return "run sipid as root"
    case "ClaimantInvalid":
      return error.problem._tag === "NotRunning" || error.problem._tag === "KernelThread"
        ? `pass the PID of the job's process (in a start script, "$$" before exec)`
        : undefined
    case "OsError":
      // A hint the failing code gave (a broken installation) is in the message already.
      return error.hint === undefined ? osAdvice(error.operation, error.code) : undefined
    default:
      return undefined
  }
}

/** The error in the CLI's words: the health gates' with sipid's options inside (healthAdvice.ts), any other its message. */
const inCliWords = (error: CommandError): string =>
  error._tag === "Unhealthy" ? unhealthyReport(error) : error._tag === "TlsFileInvalid" ? tlsFileReport(error) : error.message

/** The one line the CLI logs for `error`: its message in the CLI's words, and the advice if there is one. */
export const reportText = (error: CommandError): string => {
  const advice = adviceFor(error)
  const text = inCliWords(error)
  return advice === undefined ? text : `${text}; ${advice}`
}
