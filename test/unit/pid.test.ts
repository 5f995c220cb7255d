import { InvalidPid } from "../../src/process/errors.js"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Either, Exit } from "effect"
import fc from "fast-check"
import { hasExited } from "../../src/process/Processes.js"
import { guardPid, isSignalablePid, type Pid, parsePid, parsePidfileContent, pidMaxCeiling, printable } from "../../src/process/Pid.js"

const pidMax = 4_194_304

describe("parsePid", () => {
  it.each(["2", "1080", String(pidMax)])("accepts %s", (text) => {
    expect(parsePid(text, pidMax)).toEqual(Either.right(Number(text)))
  })

  it.each(["", "0", "1", "-5", "-1", "01", "+5", " 5", "5\n", "1e3", "0x10", "5.0", "abc", "99999999999", String(pidMax + 1), "١٢"])(
    "refuses %j",
    (text) => {
      expect(Either.isLeft(parsePid(text, pidMax))).toBe(true)
    }
  )

  it.each([
    ["", `"" is not a valid PID: expected a decimal number from 2 to ${pidMax}`],
    ["12\n", `"12\\n" is not a valid PID: expected a decimal number from 2 to ${pidMax}`],
    ["1", "PID 1 is init and is never a job's process"],
    [String(pidMax + 1), `PID ${pidMax + 1} is above pid_max (${pidMax})`]
  ])("says why it refuses %j", (text, reason) => {
    expect(parsePid(text, pidMax)).toEqual(Either.left(new InvalidPid({ input: text, reason })))
  })

  it("accepts exactly the canonical decimals from 2 to pid_max", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const canonical = /^[1-9][0-9]*$/.test(text) && Number(text) >= 2 && Number(text) <= pidMax
        expect(Either.isRight(parsePid(text, pidMax))).toBe(canonical)
      })
    )
  })

  it("round-trips every valid PID through its decimal text", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: pidMax }), (pid) => {
        expect(parsePid(String(pid), pidMax)).toEqual(Either.right(pid))
      })
    )
  })

  it("never yields a value a signal call would coerce to a group or to init", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer().map(String), fc.constantFrom("0", "-1", "", "\n", "1")), (text) => {
        Either.map(parsePid(text, pidMax), (pid) => expect(pid).toBeGreaterThan(1))
      })
    )
  })
})

describe("isSignalablePid", () => {
  it.each([2, 300, pidMaxCeiling])("lets %d through", (pid) => {
    expect(isSignalablePid(pid)).toBe(true)
  })

  it.each([1, 0, -1, pidMaxCeiling + 1, 2.5, Number.NaN])("stops %d", (pid) => {
    expect(isSignalablePid(pid)).toBe(false)
  })

  it("makes guardPid die, naming the PID, where a layer would act on it", () => {
    const exit = Effect.runSyncExit(guardPid(-1 as Pid))
    expect(Exit.isFailure(exit) && Cause.isDie(exit.cause) && Cause.pretty(exit.cause)).toContain("refusing to act on PID -1: not a validated PID (parsePid)")
    expect(Effect.runSyncExit(guardPid(2 as Pid))).toEqual(Exit.void)
  })
})

describe("hasExited", () => {
  it("is true for a zombie alone, not for one whose other threads still run", () => {
    expect(hasExited({ state: "Z", threads: 1 })).toBe(true)
    expect(hasExited({ state: "Z", threads: 3 })).toBe(false)
    expect(hasExited({ state: "S", threads: 1 })).toBe(false)
  })
})

describe("printable", () => {
  it("escapes control characters and quotes, without the JSON quotes around them", () => {
    expect(printable("a\tb\"c\u0000")).toBe("a\\tb\\\"c\\u0000")
  })

  it("keeps 40 characters whole and cuts a longer text after 40", () => {
    expect(printable("x".repeat(40))).toBe("x".repeat(40))
    expect(printable("y".repeat(41))).toBe(`${"y".repeat(40)}...`)
  })
})

describe("parsePidfileContent", () => {
  it.each(["1234\n", "1234", "  1234  \n", "\t1234\r\n", " \t\r\n1234\n\r\t "])("reads %j as PID 1234", (text) => {
    expect(parsePidfileContent(text, pidMax)).toEqual({ _tag: "Valid", pid: 1234 })
  })

  it("gives the PID parser's reason for invalid content", () => {
    expect(parsePidfileContent(" 1\n", pidMax)).toEqual({ _tag: "Invalid", reason: "PID 1 is init and is never a job's process" })
  })

  it.each(["", "\n", "   "])("reads %j as empty", (text) => {
    expect(parsePidfileContent(text, pidMax)._tag).toBe("Empty")
  })

  // Only ASCII space, tab, CR and LF may surround the PID.
  it.each(["-1", "0", "1", "1 2", "12\n34\n", "abc", "-5", "99999999999", "12abc", "\u00a01234", "1234\u3000", "\ufeff1234\n", "\v1234", "1234\f", "\v"])(
    "reads %j as invalid",
    (text) => {
      expect(parsePidfileContent(text, pidMax)._tag).toBe("Invalid")
    }
  )
})

describe("parsePidfileContent: what monit reads from invalid content (readAs)", () => {
  const readAs = (text: string, pidMax = 32768) => {
    const content = parsePidfileContent(text, pidMax)
    expect(content._tag).toBe("Invalid")
    return content._tag === "Invalid" ? content.readAs : "not invalid"
  }

  it.each([
    ["1234 junk", 1234],
    ["  12 34", 12],
    ["\u000b\u000c12 x", 12],
    ["+123 x", 123],
    ["0012 x", 12],
    ["2 x", 2],
    ["32768 x", 32768],
    ["123\u000b", 123]
  ])("%j is read as %i", (text, pid) => {
    expect(readAs(text)).toBe(pid)
  })

  it.each(["x123", "a5 x", "-5 x", "1 2", "32769 x", "99999999999 x", "\u00a012 x"])("%j is read as no PID", (text) => {
    expect(readAs(text)).toBeUndefined()
  })

  it("valid content has no readAs", () => {
    expect(parsePidfileContent("1234\n", 32768)).toEqual({ _tag: "Valid", pid: 1234 })
  })
})
