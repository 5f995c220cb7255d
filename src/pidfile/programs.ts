/** The pidfile programs, grouped for the library's `Pidfile` namespace. */
export { claim, type ClaimOutcome, type ClaimRequest } from "./claim.js"
export { kill, type KillOutcome, type KillRequest } from "./kill.js"
export { describeStatus, type PidfileStatus, status } from "./status.js"
