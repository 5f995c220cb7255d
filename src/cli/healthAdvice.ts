/**
 * The health gates' errors in the command line's terms: the option that
 * helps with a probe's last failure or a deadline too short, and the option
 * that named a TLS file.
 * The library's hint says what to check (failure.ts); this adds how, with
 * sipid's options.
 */
import { type TlsFile, type TlsFileInvalid, tlsFileText } from "../health/errors.js"
import { hint, type ProbeFailure, wantsClientCertificate } from "../health/failure.js"
import { type Unhealthy, unhealthyText } from "../health/verdict.js"

/** The library's hint for `failure`, with the option that acts on it where one does. */
export const probeAdvice = (failure: ProbeFailure): string | undefined => {
  const check = hint(failure)
  switch (failure._tag) {
    case "BadStatus":
      return failure.status === 401 || failure.status === 403
        ? `send credentials with --header 'Authorization: ...', or accept the status with --expect-status, e.g. 200,${failure.status}`
        // The library explains a redirect it did not follow; accepting the status is the other way.
        : check && `${check}; or widen --expect-status`
    case "Untrusted":
      return `${check} add it with --ca-cert FILE (or --insecure for a test)`
    case "Tls":
      return wantsClientCertificate(failure) ? `${check} pass --client-cert and --client-key` : check
    default:
      return check
  }
}

/** The line the CLI logs for an Unhealthy: its message, with `probeAdvice` for each last failure, or, when none failed, room to ask for. */
export const unhealthyReport = (error: Unhealthy): string => {
  const text = unhealthyText(error, probeAdvice)
  return error.failures.length === 0 ? `${text}; give --timeout more room` : text
}

const optionNames: Record<TlsFile["field"], string> = { caCerts: "--ca-cert", clientCert: "--client-cert", clientKey: "--client-key" }

/** The line the CLI logs for a TLS file it cannot use: each file named by its option, as every usage error names one. */
export const tlsFileReport = (error: TlsFileInvalid): string => tlsFileText(error, optionNames)
