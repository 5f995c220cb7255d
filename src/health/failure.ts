/**
 * Why a probe failed, as data: the program logs a reason once when it
 * changes, and the final error quotes the last one with a hint. Describing
 * undici and Node errors here keeps their codes out of the program.
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import { Data, Duration, Equal } from "effect"
import { formatGoDuration } from "../time/goDuration.js"
import { bodyCheckBytes } from "./target.js"

/** A proxy as failures name it: without credentials, and with the variable that set it. */
export interface ProxyName {
  readonly proxy: string
  readonly variable: string
}

/**
 * How much of a body a check read: all of it, its first `bodyCheckBytes`
 * (`limit`), what arrived within the probe's time limit (`time`), or what
 * came before the connection broke (`error`).
 */
export type BodyEnd = "complete" | "limit" | "time" | "error"

/**
 * @since 0.1.0
 * @category models
 */
export type ProbeFailure = Data.TaggedEnum<{
  /** An answer, but not an expected status code; `body` is its first line, shortened. */
  BadStatus: { readonly status: number; readonly body: string }
  /** The body does not match `pattern` (its source); `start` is the start of the body, shortened. */
  BodyMismatch: { readonly pattern: string; readonly start: string; readonly end: BodyEnd }
  /** The body does not parse as JSON; `detail` is the parser's message. */
  NotJson: { readonly detail: string; readonly start: string; readonly end: BodyEnd }
  /** The JSON has no value at `path`: from `missing` on (a prefix of `path`), nothing is there. */
  JsonMissing: { readonly path: string; readonly missing: string }
  JsonDiffers: { readonly path: string; readonly expected: string; readonly actual: string }
  HeaderMissing: { readonly name: string }
  HeaderMismatch: { readonly name: string; readonly pattern: string; readonly value: string }
  /** Nothing at the unix socket's path. */
  SocketMissing: { readonly path: string }
  /** A socket file nobody accepts connections on. */
  SocketRefused: { readonly path: string }
  /** A redirect whose Location (shortened) is no http or https URL, so it cannot be followed. */
  BadRedirect: { readonly status: number; readonly location: string }
  /** No answer within the probe's time limit, from the endpoint or from the proxy in between. */
  TimedOut: { readonly after: Duration.Duration; readonly through?: ProxyName | undefined }
  Refused: {}
  /** The server's certificate chain does not lead to a trusted root. */
  Untrusted: { readonly detail: string }
  /** Any other TLS trouble: a name mismatch, an expired certificate, a handshake alert. */
  Tls: { readonly code: string; readonly detail: string }
  /** DNS, a reset connection: whatever else the transport reports. */
  Transport: { readonly code: string; readonly detail: string }
  /** The proxy the request went through failed, not the endpoint; `proxy` is its name without credentials. */
  ProxyFailed: { readonly proxy: string; readonly variable: string; readonly problem: string }
}>

export const ProbeFailure = Data.taggedEnum<ProbeFailure>()

const untrustedCodes = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
])

// OpenSSL's verification codes, besides Node's ERR_TLS_* and ERR_SSL_* families.
const certificateCodes = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "CERT_REVOKED", "CERT_UNTRUSTED", "CERT_REJECTED"])

interface NodeError {
  readonly code?: unknown
  readonly message?: unknown
  readonly cause?: unknown
}

/** undici sometimes wraps the socket's error; the innermost error with a code says most. */
const innermost = (error: unknown): NodeError => {
  let current = error as NodeError
  while (typeof current?.cause === "object" && current.cause !== null && typeof (current.cause as NodeError).code === "string") {
    current = current.cause as NodeError
  }
  return current ?? {}
}

/**
 * Wraps the error of a request sent through a proxy (HttpLayer does it), so
 * a failure to reach the proxy is not blamed on the endpoint.
 */
export class ThroughProxy extends Error implements ProxyName {
  constructor(readonly proxy: string, readonly variable: string, cause: unknown) {
    // Stryker disable next-line StringLiteral: this message is never shown; the innermost cause's is
    super(`through the proxy ${proxy}`, { cause })
  }
}

/** The code HttpLayer gives a proxy's hang-up on CONNECT (see its `refusedTunnel`); Node's own proxy support uses it too. */
export const tunnelRefusedCode = "ERR_PROXY_TUNNEL"

/**
 * What went wrong with the proxy itself, if anything. Through a proxy sipid
 * connects only to the proxy (the endpoint's name is the proxy's to resolve),
 * so a refusal or an unknown name is the proxy's; a tunnel the proxy would
 * not open is its answer about the endpoint.
 */
const proxyProblem = (code: string, detail: string): string | undefined => {
  if (code === "ECONNREFUSED") return "refused the connection"
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `cannot be resolved (${detail})`
  if (code === tunnelRefusedCode) return "closed the connection instead of opening a tunnel to the endpoint"
  // undici's words for a CONNECT refused, and for a 407 to a request it forwarded (plain http).
  const status = /Proxy (?:response|Authentication Required) \((\d+)\)/.exec(detail)?.[1]
  return status === undefined
    ? undefined
    : status === "407"
    ? "wants credentials (407 Proxy Authentication Required)"
    : `answered ${status} instead of opening a tunnel to the endpoint`
}

/** A failed connection or request as a reason; `fallback` describes it when its cause has no message. */
export const fromTransportCause = (error: unknown, fallback: string): ProbeFailure => {
  const cause = innermost(error)
  const code = typeof cause.code === "string" ? cause.code : "EUNKNOWN"
  // OpenSSL's messages end in a newline.
  const detail = typeof cause.message === "string" && cause.message.trim() !== "" ? cause.message.trim() : fallback
  const via = error instanceof ThroughProxy ? error : undefined
  // Equivalent mutants, not disabled (the lines' other ConditionalExpression mutants are killable): via === undefined →
  // false here, and via !== undefined → true below; each guard is checked again by the other.
  const problem = via === undefined ? undefined : proxyProblem(code, detail)
  if (via !== undefined && problem !== undefined) return ProbeFailure.ProxyFailed({ proxy: via.proxy, variable: via.variable, problem })
  if (code === "ECONNREFUSED") return ProbeFailure.Refused()
  if (untrustedCodes.has(code)) return ProbeFailure.Untrusted({ detail })
  if (certificateCodes.has(code) || code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_")) return ProbeFailure.Tls({ code, detail })
  return ProbeFailure.Transport({ code, detail })
}

export const fromHttpClientError = (error: HttpClientError.HttpClientError): ProbeFailure => fromTransportCause(error.cause, error.message)

/** A transport failure of a request over the unix socket at `path`: a missing socket and a refusal have their own reasons. */
export const overSocket = (path: string) => (failure: ProbeFailure): ProbeFailure =>
  failure._tag === "Refused"
    ? ProbeFailure.SocketRefused({ path })
    : failure._tag === "Transport" && failure.code === "ENOENT"
    ? ProbeFailure.SocketMissing({ path })
    : failure

const printable = (text: string): string => {
  const shown = text.replace(/[^\x20-\x7e\u00a0-\uffff]/g, "?")
  return shown.length > 100 ? `${shown.slice(0, 100)}...` : shown
}

/** The first line of a body, short enough for a log line. */
export const bodySnippet = (body: string): string => printable(body.trim().split(/\r?\n/, 1)[0]!)

/** The start of a body on one short line: what a body or JSON check quotes. */
export const bodyStart = (body: string): string => printable(body.trim().replace(/\s+/g, " "))

const endNote = (end: BodyEnd): string =>
  end === "limit"
    ? ` (only its first ${bodyCheckBytes / 1024} KiB are read)`
    : end === "time"
    ? " (all that arrived within the time limit)"
    : end === "error"
    ? " (all that arrived before the connection broke)"
    : ""

const quoted = (start: string): string => (start === "" ? "it is blank" : `"${start}"`)

const proxyDescription = ({ proxy, variable }: ProxyName): string => `the proxy ${proxy} (from ${variable})`

const proxyAdvice = ({ variable }: ProxyName): string => `check ${variable}, or add the endpoint's host to NO_PROXY to reach it directly`

/**
 * @since 0.1.0
 * @category formatting
 */
export const describe: (failure: ProbeFailure) => string = ProbeFailure.$match({
  BadStatus: ({ body, status }) => `status ${status}${body === "" ? "" : `: ${body}`}`,
  BadRedirect: ({ location, status }) => `status ${status} redirects to "${location}", which is not an http or https URL`,
  BodyMismatch: ({ end, pattern, start }) => `the body does not match /${pattern}/${endNote(end)}: ${quoted(start)}`,
  NotJson: ({ detail, end, start }) => `the body is not JSON (${detail})${endNote(end)}: ${quoted(start)}`,
  JsonMissing: ({ missing, path }) => `the JSON has no ${path}${missing === path ? "" : ` (nothing at ${missing})`}`,
  JsonDiffers: ({ actual, expected, path }) => `${path} is ${JSON.stringify(actual)}, not ${JSON.stringify(expected)}`,
  HeaderMissing: ({ name }) => `no ${name} header`,
  HeaderMismatch: ({ name, pattern, value }) => `the ${name} header ${JSON.stringify(value)} does not match /${pattern}/`,
  SocketMissing: ({ path }) => `no socket at ${path}`,
  SocketRefused: ({ path }) => `connection refused at the socket ${path}`,
  TimedOut: ({ after, through }) =>
    `timed out after ${formatGoDuration(after)}${through === undefined ? "" : ` through ${proxyDescription(through)}`}`,
  Refused: () => "connection refused",
  Untrusted: ({ detail }) => `certificate not trusted (${detail})`,
  Tls: ({ code, detail }) => code === "ERR_TLS_CERT_ALTNAME_INVALID" ? `certificate does not name the host (${detail})` : `TLS failed: ${detail}`,
  Transport: ({ code, detail }) =>
    code === "ENOTFOUND" || code === "EAI_AGAIN"
      ? `cannot resolve host (${detail})`
      : code === "UND_ERR_SOCKET"
      ? "the server closed the connection without answering"
      : code === "ECONNRESET"
      ? "the server reset the connection without answering"
      : detail,
  ProxyFailed: (failure) => `${proxyDescription(failure)} ${failure.problem}`
})

// OpenSSL (Node) writes "wrong version number", BoringSSL (Bun) "WRONG_VERSION_NUMBER": hence [ _], here and in `hint`.
const clientCertificateAlert = /certificate[ _]required|handshake[ _]failure|bad[ _]certificate/i

/** Whether a TLS failure is the server's alert that it wants a client certificate (the CLI then names its options for one). */
export const wantsClientCertificate = (failure: ProbeFailure): boolean => failure._tag === "Tls" && clientCertificateAlert.test(failure.detail)

/**
 * What to check next, where the reason suggests something. It names no
 * sipid option, as a library caller has none (it sets a target's headers
 * and checks in code); the CLI adds the option that helps (cli/healthAdvice.ts).
 * @since 0.1.0
 * @category formatting
 */
export const hint: (failure: ProbeFailure) => string | undefined = ProbeFailure.$match({
  BadStatus: ({ status }) => status >= 300 && status < 400 ? "more than 10 redirects, or one without a Location" : undefined,
  BadRedirect: () => undefined,
  BodyMismatch: () => undefined,
  NotJson: () => undefined,
  JsonMissing: () => "keys are separated by dots, an array's items named by their index (items.0.name)",
  JsonDiffers: () => undefined,
  HeaderMissing: () => undefined,
  HeaderMismatch: () => undefined,
  SocketMissing: () => "is the job running? it makes the socket when it starts listening",
  SocketRefused: () => "nothing accepts connections on it: a socket left by a job that stopped, one not listening yet, or a file that is no socket at all",
  TimedOut: ({ through }) => through && proxyAdvice(through),
  Refused: () => "is the job listening on that port yet?",
  Untrusted: () => "is the endpoint's CA missing?",
  Tls: (failure) =>
    wantsClientCertificate(failure)
      ? "does the server want a client certificate?"
      : /wrong[ _]version[ _]number/i.test(failure.detail)
      ? "does the endpoint speak plain http?"
      : undefined,
  // A close or a reset says nothing about why: over TLS 1.3 it may be a server
  // that wants a client certificate, but only its alert (a Tls failure) says so.
  Transport: () => undefined,
  ProxyFailed: proxyAdvice
})

/**
 * Whether two failures are one reason, logged once. Time-outs count as one
 * whatever their length: the last one is often cut short by the deadline. A
 * failure is judged by what failed, not by the text it quotes from the
 * server: an error page or header that holds a timestamp or a counter must
 * not make a log line of every probe. A JSON value that differs is the
 * reason itself (STARTING, then DOWN), so it counts.
 */
export const sameReason = (a: ProbeFailure, b: ProbeFailure): boolean => {
  if (a._tag !== b._tag) return false
  switch (a._tag) {
    case "TimedOut":
    case "NotJson":
      return true
    case "BodyMismatch":
      return a.pattern === (b as typeof a).pattern
    case "BadStatus":
      return a.status === (b as typeof a).status
    case "HeaderMismatch":
      return a.name === (b as typeof a).name && a.pattern === (b as typeof a).pattern
    default:
      return Equal.equals(a, b)
  }
}

/**
 * A target's failure, as the final error lists it.
 * @since 0.2.0
 * @category models
 */
export interface TargetFailure {
  /** The target's name (see `targetName`). */
  readonly target: string
  readonly failure: ProbeFailure
}
