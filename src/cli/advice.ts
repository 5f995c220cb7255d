/**
 * What the command line advises doing about an error, in its own terms (a
 * sipid command, an option). The library's errors state the facts, and the
 * shell commands that show more (`ps ...`); a library caller has no
 * `--retry` to add.
 */
import type { SipidError } from "../errors.js"

export const adviceFor = (error: SipidError): string | undefined => {
  switch (error._tag) {
    case "PidfileOwned":
      return `stop it first (sipid kill --pid-file ${error.path})`
    case "ProcessSurvived":
    case "JobSurvived":
    case "JobUnseen":
      return error.sentKill || (error._tag !== "ProcessSurvived" && error.survivors.length === 0) ? undefined : "add KILL/N to --retry to force it"
    case "ProcessHidden":
      return "run sipid as root"
    default:
      return undefined
  }
}

/** The one line the CLI logs for `error`: its message, and the advice if there is one. */
export const reportText = (error: SipidError): string => {
  const advice = adviceFor(error)
  return advice === undefined ? error.message : `${error.message}; ${advice}`
}
