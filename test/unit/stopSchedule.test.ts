import { describe, expect, it } from "@effect/vitest"
import { Duration, Either } from "effect"
import { defaultSchedule, formatStopSchedule, parseStopSchedule, totalWait } from "../../src/process/stopSchedule.js"

const format = (text: string) => Either.map(parseStopSchedule(text), formatStopSchedule)

describe("parseStopSchedule", () => {
  it.each([
    ["TERM/20/QUIT/2/KILL/5", "TERM/20/QUIT/2/KILL/5"],
    ["SIGTERM/20/SIGKILL/5", "TERM/20/KILL/5"],
    ["-TERM/1/-KILL/1", "TERM/1/KILL/1"],
    ["term/1/kill/1", "TERM/1/KILL/1"],
    ["-15/3/-9/1", "TERM/3/KILL/1"],
    ["-3/2/-9/1", "QUIT/2/KILL/1"],
    ["10", "TERM/10/KILL/10"],
    ["0", "TERM/0/KILL/0"],
    // only a repeated part must wait a positive timeout
    ["KILL/0", "KILL/0"],
    ["TERM/5/forever/KILL/1", "TERM/5/forever/KILL/1"],
    ["forever/TERM/5", "forever/TERM/5"],
    ["5/TERM/5", "5/TERM/5"],
    ["HUP/1/INT/2/USR1/3/USR2/4/ABRT/5/KILL/6", "HUP/1/INT/2/USR1/3/USR2/4/ABRT/5/KILL/6"]
  ])("accepts %j as %s", (text, expected) => {
    expect(format(text)).toEqual(Either.right(expected))
  })

  it.each([
    ["", "neither a timeout"],
    ["TERM//5", "neither a timeout"],
    ["TERM/x", "neither a timeout"],
    ["TERM/1.5", "neither a timeout"],
    ["TERM/-1", "must end with a timeout"], // -1 is SIGHUP, not a negative timeout
    ["STOP/5", "neither a timeout"],
    ["TERM-/5", "neither a timeout"],
    ["-0/5", "neither a timeout"],
    ["-19/5", "neither a timeout"],
    ["TERM/5/KILL", "must end with a timeout"],
    ["TERM", "must end with a timeout"],
    ["5/5", "sends no signal"],
    ["TERM/5/forever", "nothing to repeat"],
    ["forever/TERM/5/forever/KILL/5", "more than once"],
    ["TERM/5/forever/KILL/0", "must wait a positive timeout"],
    ["TERM/1234567890", "neither a timeout"],
    [" 10", "neither a timeout"],
    ["FOREVER/TERM/5", "neither a timeout"]
  ])("refuses %j (%s)", (text, reason) => {
    const parsed = parseStopSchedule(text)
    expect(Either.isLeft(parsed) && parsed.left).toMatchObject({ _tag: "InvalidStopSchedule", input: text, reason: expect.stringContaining(reason) })
  })

  it("names the schedule, the bad item and the signals it could have been", () => {
    const parsed = parseStopSchedule("TERM/5/STOP/5")
    expect(Either.isLeft(parsed) && parsed.left.message).toBe(
      `invalid schedule "TERM/5/STOP/5": "STOP" is neither a timeout in seconds, "forever", nor one of TERM, QUIT, KILL, INT, HUP, USR1, USR2, ABRT`
    )
  })

  it("records where forever repeats from", () => {
    const parsed = Either.getOrThrow(parseStopSchedule("TERM/5/forever/KILL/1"))
    expect(parsed.repeatFrom).toBe(2)
    expect(parsed.steps[1]).toEqual({ _tag: "Wait", timeout: Duration.seconds(5) })
  })
})

describe("defaultSchedule", () => {
  it("is TERM/20/KILL/5, with QUIT/2 before KILL when showing stacks, and a configurable grace", () => {
    expect(formatStopSchedule(defaultSchedule())).toBe("TERM/20/KILL/5")
    expect(formatStopSchedule(defaultSchedule({ showStacks: true }))).toBe("TERM/20/QUIT/2/KILL/5")
    expect(formatStopSchedule(defaultSchedule({ grace: Duration.millis(1500) }))).toBe("TERM/1.5/KILL/5")
  })
})

describe("totalWait", () => {
  it("sums a schedule's waits and nothing else", () => {
    const schedule = Either.getOrThrow(parseStopSchedule("TERM/20/QUIT/2/KILL/5"))
    expect(Duration.toMillis(totalWait(schedule.steps))).toBe(27_000)
    expect(Duration.toMillis(totalWait([]))).toBe(0)
  })
})
