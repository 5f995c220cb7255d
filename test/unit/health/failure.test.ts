import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import { Duration } from "effect"
import { bodySnippet, describe as describeFailure, fromHttpClientError, hint, ProbeFailure, sameReason, ThroughProxy } from "../../../src/health/failure.js"

const transportError = (code: string, message: string) =>
  new HttpClientError.RequestError({
    request: HttpClientRequest.get("https://127.0.0.1/"),
    reason: "Transport",
    cause: Object.assign(new Error(message), { code })
  })

describe("fromHttpClientError", () => {
  it.each([
    ["ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1", "connection refused", /listening/],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate", "certificate not trusted (self-signed certificate)", /--ca-cert/],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "Hostname/IP does not match", "certificate does not name the host (Hostname/IP does not match)", undefined],
    ["ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", "tlsv13 alert certificate required", "TLS failed: tlsv13 alert certificate required", /--client-cert/],
    ["ERR_SSL_WRONG_VERSION_NUMBER", "wrong version number", "TLS failed: wrong version number", /plain http/],
    ["ENOTFOUND", "getaddrinfo ENOTFOUND nowhere.invalid", "cannot resolve host (getaddrinfo ENOTFOUND nowhere.invalid)", undefined],
    ["UND_ERR_SOCKET", "other side closed", "the server closed the connection without answering", /client certificate/],
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
