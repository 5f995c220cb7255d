import { InvalidDuration } from "../../src/time/InvalidDuration.js"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Either } from "effect"
import fc from "fast-check"
import { formatGoDuration, parseGoDuration } from "../../src/time/goDuration.js"

const millis = (text: string) => Either.map(parseGoDuration(text), Duration.toMillis)

describe("Go durations", () => {
  it.each([
    ["500ms", 500],
    ["10s", 10_000],
    ["1m30s", 90_000],
    ["2h", 7_200_000],
    ["1.5s", 1_500],
    [".5s", 500],
    ["1h2m3s4ms", 3_723_004],
    ["1500us", 1.5],
    ["0s", 0]
  ])("parses %s", (text, expected) => {
    expect(millis(text)).toEqual(Either.right(expected))
  })

  it.each(["", "10", "0", "1 minute", "-5s", "5 s", "5S", "s", "1m30", "10sec", "1.2.3s"])("refuses %j", (text) => {
    expect(parseGoDuration(text)).toEqual(
      Either.left(new InvalidDuration({ input: text, reason: "use Go syntax with a unit, such as 500ms, 10s, 1m30s or 2h" }))
    )
  })

  it("takes up to Go's longest duration, and refuses a longer one rather than print it as 1e+22h", () => {
    expect(millis("2562047h47m16s")).toEqual(Either.right(9_223_372_036_000))
    expect(formatGoDuration(Duration.hours(1_000_000))).toBe("1000000h0m0s")
    for (const text of ["2562048h", "99999999999999999999h", `${"9".repeat(400)}h`]) {
      expect(parseGoDuration(text)).toEqual(Either.left(new InvalidDuration({ input: text, reason: "longer than Go's longest duration, 2562047h47m16s" })))
    }
  })

  it("says what is wrong in one line naming the value", () => {
    const parsed = parseGoDuration("10")
    expect(Either.isLeft(parsed) && parsed.left.message).toBe(`invalid duration "10": use Go syntax with a unit, such as 500ms, 10s, 1m30s or 2h`)
  })

  it("formats what it parses back to the same duration", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), (ms) => {
        expect(millis(formatGoDuration(Duration.millis(ms)))).toEqual(Either.right(ms))
      })
    )
  })
})
