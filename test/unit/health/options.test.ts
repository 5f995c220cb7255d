import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { InvalidProbeSetting } from "../../../src/errors.js"
import { formatStatusRange, parseHeader, parseStatusRange, parseUrl, statusInRange } from "../../../src/health/options.js"

describe("parseUrl", () => {
  it.each(["http://127.0.0.1:8080/health", "https://[::1]:8443/", "HTTPS://Example.COM/x?y=1"])("accepts %s", (text) => {
    expect(Either.isRight(parseUrl(text))).toBe(true)
  })

  it.each([
    ["", /^"" is not a URL; use e.g. https:\/\/127.0.0.1:8443\/healthcheck$/],
    ["127.0.0.1:8080/health", /is not a URL/],
    ["localhost", /is not a URL/],
    ["ftp://example.com/", /^"ftp:\/\/example.com\/": only http and https URLs can be probed$/],
    ["http://user:secret@example.com/", /^"example.com": credentials in the URL are not sent; use --header 'Authorization: \.\.\.'$/],
    ["http://user@example.com/", /credentials in the URL are not sent/],
    ["http://:secret@example.com/", /credentials in the URL are not sent/],
    ["http://user:secret@[fe80::1%25eth0]/", /a zone id \(%25eth0\)/],
    ["x http://[fe80::1%25eth0]/", /is not a URL/],
    ["http://[::1/", /is not a URL/],
    ["http://[fe80::1%25eth0]:8080/", /a zone id \(%25eth0\) cannot be probed, as Node's URL parser refuses zone ids; use .* address, or a host name$/],
    ["https://[fe80::1%eth0]/", /a zone id \(%eth0\)/]
  ])("refuses %j", (text, reason) => {
    expect(parseUrl(text)).toEqual(Either.left(expect.objectContaining({ _tag: "InvalidProbeSetting", input: text, reason: expect.stringMatching(reason) })))
  })
})

describe("parseStatusRange", () => {
  it.each([
    ["200", { min: 200, max: 200 }],
    ["200-399", { min: 200, max: 399 }],
    ["204-204", { min: 204, max: 204 }]
  ])("reads %s", (text, range) => {
    expect(parseStatusRange(text)).toEqual(Either.right(range))
  })

  it.each(["", "2xx", "99", "600", "399-200", "200-", "200 - 399", "200,204", "1200", "2000", "200-600", "200-3x9"])("refuses %j", (text) => {
    expect(parseStatusRange(text)).toEqual(
      Either.left(new InvalidProbeSetting({ input: text, reason: `"${text}" is not a status code or range; use e.g. 200 or 200-399` }))
    )
  })

  it("formats a range as it reads it, and checks both ends", () => {
    expect(formatStatusRange({ min: 200, max: 200 })).toBe("200")
    expect(formatStatusRange({ min: 200, max: 399 })).toBe("200-399")
    expect([199, 200, 250, 299, 300].map((status) => statusInRange({ min: 200, max: 299 }, status))).toEqual([false, true, true, true, false])
  })
})

describe("parseHeader", () => {
  it.each([
    ["Authorization: Bearer abc", ["authorization", "Bearer abc"]],
    ["X-Probe:yes", ["x-probe", "yes"]],
    ["X-Empty:", ["x-empty", ""]],
    ["Accept:  application/json  ", ["accept", "application/json"]],
    ["X-Tabs:\tx\ty\t", ["x-tabs", "x\ty"]],
    ["X-Latin1: caf\u00e9", ["x-latin1", "caf\u00e9"]]
  ])("reads %j", (text, header) => {
    expect(parseHeader(text)).toEqual(Either.right(header))
  })

  it.each(["NoColon", ": value", "Bad Name: x", "X-A: line\r\nX-B: injected", "X-A: a\nb", "X-A: a\u0000b", " X-A: b"])("refuses %j", (text) => {
    expect(parseHeader(text)).toEqual(Either.left(new InvalidProbeSetting({ input: text, reason: `"${text}" is not a header; use 'Name: value' on one line` })))
  })
})

describe("parseHeader, headers the client sets itself", () => {
  it.each([
    ["Transfer-Encoding: chunked", "Transfer-Encoding is sipid's to set: a probe is a GET without a body"],
    ["content-length: 5", "content-length is sipid's to set: a probe is a GET without a body"],
    ["Trailer: X", "Trailer is sipid's to set: a probe is a GET without a body"],
    ["Expect: 100-continue", "Expect is sipid's to set: a probe is a GET without a body"],
    ["Connection: close", "Connection is sipid's to set: sipid manages its connections (one request each)"],
    ["Keep-Alive: 5", "Keep-Alive is sipid's to set: sipid manages its connections (one request each)"],
    ["Proxy-Connection: keep-alive", "Proxy-Connection is sipid's to set: sipid manages its connections (one request each)"],
    ["TE: trailers", "TE is sipid's to set: sipid manages its connections (one request each)"],
    ["Upgrade: h2c", "Upgrade is sipid's to set: sipid manages its connections (one request each)"],
    ["Proxy-Authorization: Basic x", "Proxy-Authorization is sipid's to set: it comes from the proxy variable (HTTP_PROXY=http://user:password@proxy:3128)"]
  ])("refuses %j", (text, reason) => {
    expect(parseHeader(text)).toEqual(Either.left(new InvalidProbeSetting({ input: text, reason: `"${text}": ${reason}; leave it out` })))
  })

  it.each([["Host: web.internal", ["host", "web.internal"]], ["X-Connection: close", ["x-connection", "close"]]])("takes %j", (text, header) => {
    expect(parseHeader(text)).toEqual(Either.right(header))
  })
})
