import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { parseHeader, parseStatusRange, parseUrl } from "../../../src/health/options.js"

describe("parseUrl", () => {
  it.each(["http://127.0.0.1:8080/health", "https://[::1]:8443/", "HTTPS://Example.COM/x?y=1"])("accepts %s", (text) => {
    expect(Either.isRight(parseUrl(text))).toBe(true)
  })

  it.each([
    ["", /is not a URL/],
    ["127.0.0.1:8080/health", /is not a URL/],
    ["localhost", /is not a URL/],
    ["ftp://example.com/", /only http and https/],
    ["http://user:secret@example.com/", /credentials in the URL are not sent/],
    ["http://[::1/", /is not a URL/],
    ["http://[fe80::1%25eth0]:8080/", /a zone id \(%25eth0\) cannot be probed, as Node's URL parser refuses zone ids; use .* address, or a host name$/],
    ["https://[fe80::1%eth0]/", /a zone id \(%eth0\)/]
  ])("refuses %j", (text, reason) => {
    expect(parseUrl(text)).toEqual(Either.left(expect.stringMatching(reason)))
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

  it.each(["", "2xx", "99", "600", "399-200", "200-", "200 - 399", "200,204"])("refuses %j", (text) => {
    expect(Either.isLeft(parseStatusRange(text))).toBe(true)
  })
})

describe("parseHeader", () => {
  it.each([
    ["Authorization: Bearer abc", ["authorization", "Bearer abc"]],
    ["X-Probe:yes", ["x-probe", "yes"]],
    ["X-Empty:", ["x-empty", ""]],
    ["Accept:  application/json  ", ["accept", "application/json"]]
  ])("reads %j", (text, header) => {
    expect(parseHeader(text)).toEqual(Either.right(header))
  })

  it.each(["NoColon", ": value", "Bad Name: x", "X-A: line\r\nX-B: injected", "X-A: a\nb"])("refuses %j", (text) => {
    expect(Either.isLeft(parseHeader(text))).toBe(true)
  })
})
