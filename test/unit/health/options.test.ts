import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { InvalidProbeSetting } from "../../../src/health/errors.js"
import { parseExpectBody, parseExpectHeader, parseExpectJson, parseExpectStatus } from "../../../src/health/checkOptions.js"
import { parseCount, parseHeader, parseTcpAddress, parseUrl } from "../../../src/health/options.js"
import { acceptsStatus, Check, formatStatusList } from "../../../src/health/target.js"

describe("parseUrl", () => {
  it.each(["http://127.0.0.1:8080/health", "https://[::1]:8443/", "HTTPS://Example.COM/x?y=1"])("accepts %s", (text) => {
    expect(Either.isRight(parseUrl(text))).toBe(true)
  })

  it.each([
    ["", /^"" is not a URL; use e.g. https:\/\/127.0.0.1:8443\/healthcheck$/],
    ["127.0.0.1:8080/health", /is not a URL/],
    ["localhost", /is not a URL/],
    ["ftp://example.com/", /^"ftp:\/\/example.com\/": only http and https URLs can be probed$/],
    ["http://user:secret@example.com/", /^"example.com": credentials in the URL are not sent; send them in an Authorization header instead$/],
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

describe("parseExpectStatus", () => {
  it.each([
    ["200", [{ min: 200, max: 200 }]],
    ["200-399", [{ min: 200, max: 399 }]],
    ["204-204", [{ min: 204, max: 204 }]],
    ["200-299,401", [{ min: 200, max: 299 }, { min: 401, max: 401 }]],
    ["401,200", [{ min: 401, max: 401 }, { min: 200, max: 200 }]]
  ])("reads %s", (text, accepted) => {
    expect(parseExpectStatus(text)).toEqual(Either.right(Check.Status({ accepted })))
  })

  it.each(["", "2xx", "99", "600", "399-200", "200-", "200 - 399", "200,", ",200", "200,,401", "200;401", "1200", "2000", "200-600", "200-3x9"])(
    "refuses %j",
    (text) => {
      expect(parseExpectStatus(text)).toEqual(
        Either.left(
          new InvalidProbeSetting({
            input: text,
            reason: `"${text}" is not a status code, a range or a list of them; use e.g. 200, 200-399 or 200-299,401`
          })
        )
      )
    }
  )

  it("formats a list as it reads it, and checks both ends of each range", () => {
    const accepted = [{ min: 200, max: 299 }, { min: 401, max: 401 }]
    expect(formatStatusList(accepted)).toBe("200-299,401")
    const status = Check.Status({ accepted })
    expect([199, 200, 250, 299, 300, 400, 401, 402].map((code) => acceptsStatus([status], code))).toEqual([false, true, true, true, false, false, true, false])
  })

  it("takes 200 alone without a Status check, and every Status check given", () => {
    expect([200, 204].map((code) => acceptsStatus([Check.Body({ pattern: /x/ })], code))).toEqual([true, false])
    const both = [Check.Status({ accepted: [{ min: 200, max: 299 }] }), Check.Status({ accepted: [{ min: 204, max: 401 }] })]
    expect([200, 204, 401].map((code) => acceptsStatus(both, code))).toEqual([false, true, false])
  })
})

describe("parseExpectBody, parseExpectJson, parseExpectHeader", () => {
  it("read a pattern, a path and its value, a header name and its pattern", () => {
    expect(parseExpectBody(String.raw`"status":\s*"UP"`)).toEqual(Either.right(Check.Body({ pattern: /"status":\s*"UP"/ })))
    expect(parseExpectJson("components.db.status=UP")).toEqual(Either.right(Check.Json({ path: "components.db.status", value: "UP" })))
    expect(parseExpectJson("items.0.name=a=b")).toEqual(Either.right(Check.Json({ path: "items.0.name", value: "a=b" })))
    expect(parseExpectJson("ok=")).toEqual(Either.right(Check.Json({ path: "ok", value: "" })))
    expect(parseExpectHeader("Content-Type: ^application/json ")).toEqual(Either.right(Check.Header({ name: "content-type", pattern: /^application\/json / })))
    expect(parseExpectHeader("X-Ready:")).toEqual(Either.right(Check.Header({ name: "x-ready", pattern: /(?:)/ })))
  })

  it.each([
    [parseExpectBody, "(", /^"\(" is not a regular expression \(Invalid regular expression: .*\)$/],
    [parseExpectJson, "status", /^"status" is not PATH=VALUE; use e\.g\. status=UP/],
    [parseExpectJson, "=UP", /is not PATH=VALUE/],
    [parseExpectJson, "a..b=UP", /is not PATH=VALUE/],
    [parseExpectJson, ".a=UP", /is not PATH=VALUE/],
    [parseExpectHeader, "no colon", /^"no colon" is not 'NAME: REGEX'/],
    [parseExpectHeader, "X-A: [", /^"\[" is not a regular expression/]
  ] as const)("%o refuses %j", (parse, text, reason) => {
    expect(parse(text)).toEqual(Either.left(expect.objectContaining({ _tag: "InvalidProbeSetting", input: text, reason: expect.stringMatching(reason) })))
  })
})

describe("parseTcpAddress", () => {
  it.each([
    ["127.0.0.1:5432", "127.0.0.1", 5432],
    ["[::1]:8080", "::1", 8080],
    ["[fe80::1%eth0]:80", "fe80::1%eth0", 80],
    ["localhost:1", "localhost", 1],
    ["localhost.:65535", "localhost.", 65535],
    ["db_1.internal:5432", "db_1.internal", 5432]
  ])("reads %s", (text, host, port) => {
    expect(parseTcpAddress(text)).toEqual(Either.right({ host, port }))
  })

  it.each([
    ["::1:8080", /an IPv6 address goes in brackets before the port, as in \[::1\]:8080/],
    ["localhost", /is not HOST:PORT; use e\.g\. 127\.0\.0\.1:5432 or \[::1\]:5432/],
    ["localhost:", /is not HOST:PORT/],
    ["[::1]", /is not HOST:PORT/],
    ["http://x:80", /is not HOST:PORT/],
    [":80", /"" is not a host name or address/],
    ["[db]:80", /"db" is not a host name or address/],
    ["a b:80", /"a b" is not a host name or address/],
    ["db:0", /the port must be from 1 to 65535/],
    ["db:65536", /the port must be from 1 to 65535/]
  ])("refuses %j", (text, reason) => {
    expect(parseTcpAddress(text)).toEqual(Either.left(expect.objectContaining({ input: text, reason: expect.stringMatching(reason) })))
  })
})

describe("parseCount", () => {
  it("reads a whole number from 1, and nothing else", () => {
    expect(["1", "3", "999999"].map(parseCount)).toEqual([Either.right(1), Either.right(3), Either.right(999999)])
    for (const text of ["0", "-1", "01", "1.5", "3x", "1000000", ""]) {
      expect(parseCount(text)).toEqual(Either.left(new InvalidProbeSetting({ input: text, reason: `"${text}" is not a whole number from 1 to 999999` })))
    }
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
    ["Transfer-Encoding: chunked", "Transfer-Encoding is sipid's to set: a probe sends no body"],
    ["content-length: 5", "content-length is sipid's to set: a probe sends no body"],
    ["Trailer: X", "Trailer is sipid's to set: a probe sends no body"],
    ["Expect: 100-continue", "Expect is sipid's to set: a probe sends no body"],
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
