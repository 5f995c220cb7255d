/** The pidfile programs, grouped for the library's `Pidfile` namespace. */
export { claim, type ClaimError, claimLocked, ClaimOutcome, type ClaimRequest } from "./claim.js"
export { kill, KillOutcome, type KillRequest, stop, type StopError, type StopOptions, StopOutcome } from "./kill.js"
export { type Stale } from "./occupant.js"
export { claimScoped, release, ReleaseOutcome, type ScopedClaimRequest } from "./release.js"
export { describeStatus, PidfileStatus, status } from "./status.js"
export { describeJob, describeMembers, type JobMember, type JobMembers, jobMembers, type JobMembersOptions, staleJobMembers } from "./statusTree.js"
