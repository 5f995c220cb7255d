import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import { Duration } from "effect"
import { probeAdvice } from "../../../src/cli/healthAdvice.js"
import {
  bodySnippet,
  bodyStart,
  describe as describeFailure,
  fromHttpClientError,
  hint,
  overSocket,
  ProbeFailure,
  sameReason,
  ThroughProxy,
  tunnelRefusedCode
} from "../../../src/health/failure.js"

const transportError = (code: string, message: string) =>
  new HttpClientError.RequestError({
    request: HttpClientRequest.get("https://127.0.0.1/"),
    reason: "Transport",
    cause: Object.assign(new Error(message), { code })
  })

describe("fromHttpClientError", () => {
  it.each([
    ["ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1", "connection refused", /listening/],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate", "certificate not trusted (self-signed certificate)", /CA missing/],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "Hostname/IP does not match", "certificate does not name the host (Hostname/IP does not match)", undefined],
    ["ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", "tlsv13 alert certificate required", "TLS failed: tlsv13 alert certificate required", /client certificate/],
    ["ERR_SSL_WRONG_VERSION_NUMBER", "wrong version number", "TLS failed: wrong version number", /plain http/],
    ["ENOTFOUND", "getaddrinfo ENOTFOUND nowhere.invalid", "cannot resolve host (getaddrinfo ENOTFOUND nowhere.invalid)", undefined],
    ["UND_ERR_SOCKET", "other side closed", "the server closed the connection without answering", undefined],
    [
      "ERR_SSL_WRONG_VERSION_NUMBER",
      "80BC649C1A7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n",
      "TLS failed: 80BC649C1A7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:",
      /^does the endpoint speak plain http\?$/
    ],
    ["EHOSTUNREACH", "connect EHOSTUNREACH 10.0.0.1:80", "connect EHOSTUNREACH 10.0.0.1:80", undefined]
  ])("describes %s", (code, message, description, expectedHint) => {
    const failure = fromHttpClientError(transportError(code, message))
    expect(describeFailure(failure)).toBe(description)
    if (expectedHint === undefined) expect(hint(failure)).toBeUndefined()
    else expect(hint(failure)).toMatch(expectedHint)
  })

  it("looks through undici's wrapping for the socket's error", () => {
    const wrapped = new HttpClientError.RequestError({
      request: HttpClientRequest.get("http://127.0.0.1/"),
      reason: "Transport",
      cause: Object.assign(new Error("fetch failed"), { code: "UND_ERR", cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) })
    })
    expect(fromHttpClientError(wrapped)).toEqual(ProbeFailure.Refused())
  })
})

describe("fromHttpClientError through a proxy", () => {
  const throughProxy = (code: string, message: string) =>
    new HttpClientError.RequestError({
      request: HttpClientRequest.get("http://10.0.0.5:8080/"),
      reason: "Transport",
      cause: new ThroughProxy("http://proxy.internal:3128", "HTTP_PROXY", Object.assign(new Error(message), { code }))
    })

  it.each([
    ["ECONNREFUSED", "connect ECONNREFUSED 10.0.0.9:3128", "the proxy http://proxy.internal:3128 (from HTTP_PROXY) refused the connection"],
    [
      "ENOTFOUND",
      "getaddrinfo ENOTFOUND proxy.internal",
      "the proxy http://proxy.internal:3128 (from HTTP_PROXY) cannot be resolved (getaddrinfo ENOTFOUND proxy.internal)"
    ],
    [
      "UND_ERR_ABORTED",
      "Proxy response (502) !== 200 when HTTP Tunneling",
      "the proxy http://proxy.internal:3128 (from HTTP_PROXY) answered 502 instead of opening a tunnel to the endpoint"
    ],
    [
      tunnelRefusedCode,
      "the proxy closed the connection instead of answering CONNECT",
      "the proxy http://proxy.internal:3128 (from HTTP_PROXY) closed the connection instead of opening a tunnel to the endpoint"
    ]
  ])("blames the proxy for %s, and hints at HTTP_PROXY and NO_PROXY", (code, message, description) => {
    const failure = fromHttpClientError(throughProxy(code, message))
    expect(describeFailure(failure)).toBe(description)
    expect(hint(failure)).toMatch(/check HTTP_PROXY, or add the endpoint's host to NO_PROXY/)
  })

  it("still blames the endpoint for what comes through the tunnel", () => {
    expect(fromHttpClientError(throughProxy("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate"))).toEqual(
      ProbeFailure.Untrusted({ detail: "self-signed certificate" })
    )
  })
})

describe("sameReason", () => {
  it("treats time-outs of any length as one reason, and other reasons by value", () => {
    expect(sameReason(ProbeFailure.TimedOut({ after: Duration.seconds(5) }), ProbeFailure.TimedOut({ after: Duration.millis(20) }))).toBe(true)
    expect(sameReason(ProbeFailure.BadStatus({ status: 503, body: "" }), ProbeFailure.BadStatus({ status: 503, body: "" }))).toBe(true)
    expect(sameReason(ProbeFailure.BadStatus({ status: 503, body: "" }), ProbeFailure.BadStatus({ status: 500, body: "" }))).toBe(false)
    expect(sameReason(ProbeFailure.Refused(), ProbeFailure.TimedOut({ after: Duration.seconds(1) }))).toBe(false)
  })
})

describe("bodySnippet", () => {
  it("keeps the first line, printable and short", () => {
    expect(bodySnippet("  db down\nstack...")).toBe("db down")
    expect(bodySnippet("a\x00b")).toBe("a?b")
    expect(bodySnippet("x".repeat(150))).toBe(`${"x".repeat(100)}...`)
  })
})

describe("fromHttpClientError, code by code", () => {
  it.each([
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
  ])("%s: the certificate is not trusted", (code) => {
    expect(fromHttpClientError(transportError(code, "m"))).toEqual(ProbeFailure.Untrusted({ detail: "m" }))
  })

  it.each(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "CERT_REVOKED", "CERT_UNTRUSTED", "CERT_REJECTED", "ERR_TLS_CERT_ALTNAME_INVALID", "ERR_SSL_X"])(
    "%s: TLS failed",
    (code) => {
      expect(fromHttpClientError(transportError(code, "m"))).toEqual(ProbeFailure.Tls({ code, detail: "m" }))
    }
  )

  it.each(["ECONNRESET", "ERR_TLSX", "ERR_SSLX", "XERR_TLS_", "CERT_HAS_EXPIREDX"])("%s: some other transport failure", (code) => {
    expect(fromHttpClientError(transportError(code, "m"))).toEqual(ProbeFailure.Transport({ code, detail: "m" }))
  })

  const withCause = (cause: unknown) =>
    new HttpClientError.RequestError({ request: HttpClientRequest.get("http://127.0.0.1/"), reason: "Transport", cause, description: "outer" })

  it("stops at the last wrapped error that has a code, and falls back to the outer message", () => {
    const codeless = Object.assign(new Error("fetch failed"), { code: "UND_ERR", cause: new Error("no code here") })
    expect(fromHttpClientError(withCause(codeless))).toEqual(ProbeFailure.Transport({ code: "UND_ERR", detail: "fetch failed" }))
    const nullCause = Object.assign(new Error("fetch failed"), { code: "UND_ERR", cause: null })
    expect(fromHttpClientError(withCause(nullCause))).toEqual(ProbeFailure.Transport({ code: "UND_ERR", detail: "fetch failed" }))
    const stringCause = Object.assign(new Error("fetch failed"), { code: "UND_ERR", cause: "ECONNREFUSED" })
    expect(fromHttpClientError(withCause(stringCause))).toEqual(ProbeFailure.Transport({ code: "UND_ERR", detail: "fetch failed" }))
    const codeNotString = Object.assign(new Error("fetch failed"), { code: "UND_ERR", cause: Object.assign(new Error("x"), { code: 7 }) })
    expect(fromHttpClientError(withCause(codeNotString))).toEqual(ProbeFailure.Transport({ code: "UND_ERR", detail: "fetch failed" }))
    const silent = Object.assign(new Error(""), { code: "EPIPE" })
    expect(fromHttpClientError(withCause(silent))).toEqual(ProbeFailure.Transport({ code: "EPIPE", detail: withCause(silent).message }))
    // OpenSSL's messages may be only their closing newline.
    const blank = Object.assign(new Error("\n"), { code: "EPIPE" })
    expect(fromHttpClientError(withCause(blank))).toEqual(ProbeFailure.Transport({ code: "EPIPE", detail: withCause(blank).message }))
    expect(fromHttpClientError(withCause(undefined))).toEqual(
      ProbeFailure.Transport({ code: "EUNKNOWN", detail: withCause(undefined).message })
    )
    expect(fromHttpClientError(withCause({ code: 3, message: 4 }))).toEqual(
      ProbeFailure.Transport({ code: "EUNKNOWN", detail: withCause(undefined).message })
    )
  })

  it("blames a proxy that cannot be resolved for now, refuses a tunnel with any status, or wants credentials", () => {
    const through = (code: string, message: string) =>
      withCause(new ThroughProxy("http://p:1", "https_proxy", Object.assign(new Error(message), { code })))
    expect(fromHttpClientError(through("EAI_AGAIN", "getaddrinfo EAI_AGAIN p"))).toEqual(
      ProbeFailure.ProxyFailed({ proxy: "http://p:1", variable: "https_proxy", problem: "cannot be resolved (getaddrinfo EAI_AGAIN p)" })
    )
    expect(fromHttpClientError(through("UND_ERR_ABORTED", "Proxy response (403) !== 200"))).toMatchObject({
      problem: "answered 403 instead of opening a tunnel to the endpoint"
    })
    expect(fromHttpClientError(through("UND_ERR_ABORTED", "Proxy response (abc) !== 200"))).toMatchObject({ _tag: "Transport" })
    for (const message of ["Proxy response (407) !== 200 when HTTP Tunneling", "Proxy Authentication Required (407)"]) {
      expect(fromHttpClientError(through("UND_ERR_INVALID_ARG", message))).toMatchObject({ problem: "wants credentials (407 Proxy Authentication Required)" })
    }
    expect(fromHttpClientError(through("UND_ERR_SOCKET", "other side closed"))).toMatchObject({ _tag: "Transport" })
  })
})

/** The CLI's advice for `failure`, and that the library's hint it builds on names no sipid option. */
const adviceOf = (failure: ProbeFailure): string | undefined => {
  expect(hint(failure) ?? "").not.toMatch(/--[a-z]|sipid /)
  const advice = probeAdvice(failure)
  if (advice !== undefined) expect(advice.startsWith(hint(failure) ?? "")).toBe(true)
  return advice
}

describe("describe, and the CLI's advice on the library's hint", () => {
  it.each([
    [ProbeFailure.BadStatus({ status: 503, body: "" }), "status 503", undefined],
    [ProbeFailure.BadStatus({ status: 299, body: "x" }), "status 299: x", undefined],
    [ProbeFailure.BadStatus({ status: 300, body: "" }), "status 300", "more than 10 redirects, or one without a Location; or widen --expect-status"],
    [ProbeFailure.BadStatus({ status: 399, body: "" }), "status 399", "more than 10 redirects, or one without a Location; or widen --expect-status"],
    [ProbeFailure.BadStatus({ status: 400, body: "" }), "status 400", undefined],
    [ProbeFailure.TimedOut({ after: Duration.millis(1500) }), "timed out after 1.5s", undefined],
    [ProbeFailure.Refused(), "connection refused", "is the job listening on that port yet?"],
    [
      ProbeFailure.Untrusted({ detail: "d" }),
      "certificate not trusted (d)",
      "is the endpoint's CA missing? add it with --ca-cert FILE (or --insecure for a test)"
    ],
    [
      ProbeFailure.Tls({ code: "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", detail: "sslv3 alert Handshake Failure" }),
      "TLS failed: sslv3 alert Handshake Failure",
      "does the server want a client certificate? pass --client-cert and --client-key"
    ],
    [
      ProbeFailure.Tls({ code: "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE", detail: "alert bad certificate" }),
      "TLS failed: alert bad certificate",
      "does the server want a client certificate? pass --client-cert and --client-key"
    ],
    [ProbeFailure.Tls({ code: "ERR_SSL_WRONG_VERSION_NUMBER", detail: "WRONG VERSION NUMBER" }), "TLS failed: WRONG VERSION NUMBER", "does the endpoint speak plain http?"],
    [ProbeFailure.Tls({ code: "CERT_HAS_EXPIRED", detail: "certificate has expired" }), "TLS failed: certificate has expired", undefined],
    [ProbeFailure.Transport({ code: "EAI_AGAIN", detail: "getaddrinfo EAI_AGAIN h" }), "cannot resolve host (getaddrinfo EAI_AGAIN h)", undefined],
    [ProbeFailure.Transport({ code: "ECONNRESET", detail: "read ECONNRESET" }), "the server reset the connection without answering", undefined],
    [
      ProbeFailure.BadRedirect({ status: 301, location: "http://[zz" }),
      `status 301 redirects to "http://[zz", which is not an http or https URL`,
      undefined
    ],
    [
      ProbeFailure.TimedOut({ after: Duration.seconds(5), through: { proxy: "http://p:1", variable: "http_proxy" } }),
      "timed out after 5s through the proxy http://p:1 (from http_proxy)",
      "check http_proxy, or add the endpoint's host to NO_PROXY to reach it directly"
    ],
    [
      ProbeFailure.ProxyFailed({ proxy: "http://p:1", variable: "HTTPS_PROXY", problem: "refused the connection" }),
      "the proxy http://p:1 (from HTTPS_PROXY) refused the connection",
      "check HTTPS_PROXY, or add the endpoint's host to NO_PROXY to reach it directly"
    ]
  ])("%j", (failure, description, expectedHint) => {
    expect(describeFailure(failure)).toBe(description)
    expect(adviceOf(failure)).toBe(expectedHint)
  })
})

describe("sameReason, either way round", () => {
  it("does not take a time-out for another reason", () => {
    expect(sameReason(ProbeFailure.TimedOut({ after: Duration.seconds(1) }), ProbeFailure.Refused())).toBe(false)
  })
})

describe("bodySnippet, to the letter", () => {
  it.each([
    ["first\r\nsecond", "first"],
    ["\n\n  ok\nnext", "ok"],
    ["caf\u00e9 \u00a0x\u007fy\u0080z", "caf\u00e9 \u00a0x?y?z"],
    ["~ !", "~ !"],
    ["x".repeat(100), "x".repeat(100)],
    ["x".repeat(101), `${"x".repeat(100)}...`]
  ])("%j is quoted as %j", (body, snippet) => {
    expect(bodySnippet(body)).toBe(snippet)
  })
})

describe("the reasons of checks and unix sockets", () => {
  it.each([
    [ProbeFailure.BodyMismatch({ pattern: "UP", start: "DOWN", end: "error" }), `the body does not match /UP/ (all that arrived before the connection broke): "DOWN"`, undefined],
    [ProbeFailure.NotJson({ detail: "Unexpected end of JSON input", start: "{", end: "limit" }), `the body is not JSON (Unexpected end of JSON input) (only its first 64 KiB are read): "{"`, undefined],
    [ProbeFailure.JsonMissing({ path: "a.b.c", missing: "a.b" }), "the JSON has no a.b.c (nothing at a.b)", /items\.0\.name/],
    [ProbeFailure.JsonDiffers({ path: "a", expected: "UP", actual: "DOWN" }), `a is "DOWN", not "UP"`, undefined],
    [ProbeFailure.SocketMissing({ path: "/run/web.sock" }), "no socket at /run/web.sock", /is the job running\?/],
    [ProbeFailure.SocketRefused({ path: "/run/web.sock" }), "connection refused at the socket /run/web.sock", /nothing accepts connections on it/],
    [ProbeFailure.BadStatus({ status: 401, body: "" }), "status 401", /--header 'Authorization: \.\.\.'.*--expect-status, e\.g\. 200,401/]
  ] as const)("describes %o", (failure, description, expectedHint) => {
    expect(describeFailure(failure)).toBe(description)
    if (expectedHint === undefined) expect(adviceOf(failure)).toBeUndefined()
    else expect(adviceOf(failure)).toMatch(expectedHint)
  })

  it("tells a missing socket and a refusal over it apart, and leaves other failures be", () => {
    const onSocket = overSocket("/run/web.sock")
    expect(onSocket(fromHttpClientError(transportError("ENOENT", "connect ENOENT /run/web.sock")))).toEqual(ProbeFailure.SocketMissing({ path: "/run/web.sock" }))
    expect(onSocket(fromHttpClientError(transportError("ECONNREFUSED", "connect ECONNREFUSED /run/web.sock")))).toEqual(
      ProbeFailure.SocketRefused({ path: "/run/web.sock" })
    )
    expect(onSocket(ProbeFailure.BadStatus({ status: 503, body: "" }))).toEqual(ProbeFailure.BadStatus({ status: 503, body: "" }))
    const denied = fromHttpClientError(transportError("EACCES", "connect EACCES /run/web.sock"))
    expect(onSocket(denied)).toEqual(denied)
    const tls = ProbeFailure.Tls({ code: "ENOENT", detail: "x" })
    expect(onSocket(tls)).toEqual(tls)
  })

  it("judges a failing body by its check, not by its text, which may hold a counter", () => {
    const body = (pattern: string, start: string) => ProbeFailure.BodyMismatch({ pattern, start, end: "complete" })
    expect(sameReason(body("UP", "uptime 1"), body("UP", "uptime 2"))).toBe(true)
    expect(sameReason(body("UP", "x"), body("OK", "x"))).toBe(false)
    expect(sameReason(ProbeFailure.NotJson({ detail: "at 1", start: "a", end: "complete" }), ProbeFailure.NotJson({ detail: "at 2", start: "b", end: "time" }))).toBe(true)
    expect(sameReason(ProbeFailure.JsonDiffers({ path: "a", expected: "UP", actual: "DOWN" }), ProbeFailure.JsonDiffers({ path: "a", expected: "UP", actual: "STARTING" }))).toBe(
      false
    )
    expect(sameReason(body("UP", "x"), ProbeFailure.NotJson({ detail: "", start: "x", end: "complete" }))).toBe(false)
  })

  it("judges a wrong status by its code and a header by its name and pattern, not by the text they quote", () => {
    expect(sameReason(ProbeFailure.BadStatus({ status: 503, body: "draining 2" }), ProbeFailure.BadStatus({ status: 503, body: "draining 4" }))).toBe(true)
    expect(sameReason(ProbeFailure.BadStatus({ status: 503, body: "x" }), ProbeFailure.BadStatus({ status: 502, body: "x" }))).toBe(false)
    const header = (name: string, value: string) => ProbeFailure.HeaderMismatch({ name, pattern: "^up$", value })
    expect(sameReason(header("x-state", "Tue 10:01"), header("x-state", "Tue 10:02"))).toBe(true)
    expect(sameReason(header("x-state", "a"), header("x-other", "a"))).toBe(false)
    expect(sameReason(header("x-state", "a"), ProbeFailure.HeaderMismatch({ name: "x-state", pattern: "^down$", value: "a" }))).toBe(false)
  })
})

describe("bodyStart", () => {
  it("puts the start of a body on one printable line", () => {
    expect(bodyStart("  {\n  \"status\":\t\"DOWN\"\n}\n")).toBe(`{ "status": "DOWN" }`)
    expect(bodyStart("a\x00b")).toBe("a?b")
    expect(bodyStart("x".repeat(150))).toBe(`${"x".repeat(100)}...`)
  })
})
