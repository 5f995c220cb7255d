import { describe, expect, it } from "vitest"
import { findRepeatedOption, hoistLogLevel } from "../../src/cli/argv.js"

describe("findRepeatedOption", () => {
  it("finds the first option given twice, in either spelling", () => {
    expect(findRepeatedOption(["claim", "--pid", "5", "--pid=6"], [])).toBe("--pid")
    expect(findRepeatedOption(["claim", "--pid", "5", "--pid-file", "f"], [])).toBeUndefined()
  })

  it("lets repeatable options repeat", () => {
    expect(findRepeatedOption(["--header", "a: 1", "--header", "b: 2"], ["--header"])).toBeUndefined()
  })
})

describe("hoistLogLevel", () => {
  it("moves --log-level and its value before the subcommand, keeping the rest in order", () => {
    expect(hoistLogLevel(["kill", "--pid-file", "f", "--log-level", "debug", "--grace", "1s"])).toEqual(
      ["--log-level", "debug", "kill", "--pid-file", "f", "--grace", "1s"]
    )
    expect(hoistLogLevel(["status", "--log-level=error"])).toEqual(["--log-level=error", "status"])
  })
})
