/** The pidfile programs, grouped for the library's `Pidfile` namespace. */
export { claim, type ClaimOutcome, type ClaimRequest } from "./claim.js"
