import { describe, expect, it } from "vitest"
import { editDistance, nearest } from "../../src/cli/suggest.js"

describe("editDistance", () => {
  it("counts inserts, deletes, replacements and swaps of neighbours as one edit each", () => {
    expect(editDistance("kill", "kill")).toBe(0)
    expect(editDistance("kil", "kill")).toBe(1)
    expect(editDistance("killl", "kill")).toBe(1)
    expect(editDistance("kell", "kill")).toBe(1)
    expect(editDistance("klil", "kill")).toBe(1)
    expect(editDistance("", "kill")).toBe(4)
    expect(editDistance("status", "")).toBe(6)
    expect(editDistance("claim", "kill")).toBe(5)
  })
})

describe("nearest", () => {
  const commands = ["claim", "kill", "status", "wait-until-healthy"]
  const options = ["--pid", "--pid-file", "--log-format", "--grace", "--show-stacks", "--retry"]

  it("suggests the command or option within a few edits", () => {
    expect(nearest("kil", commands)).toBe("kill")
    expect(nearest("klil", commands)).toBe("kill")
    expect(nearest("stat", commands)).toBe("status")
    expect(nearest("wait-until-heathly", commands)).toBe("wait-until-healthy")
    expect(nearest("--gracee", options)).toBe("--grace")
    expect(nearest("--pidfile", options)).toBe("--pid-file")
    expect(nearest("--log-fromat", options)).toBe("--log-format")
    expect(nearest("clm", commands)).toBe("claim")
  })

  it("suggests what a word abbreviates when only one option starts with it", () => {
    expect(nearest("--show", options)).toBe("--show-stacks")
    expect(nearest("wait", commands)).toBe("wait-until-healthy")
  })

  it("prefers the nearest of several candidates", () => {
    expect(nearest("--pid-fil", options)).toBe("--pid-file")
    expect(nearest("--pi", options)).toBe("--pid")
    expect(nearest("--grce", ["--grace", "--trace"])).toBe("--grace")
  })

  it("suggests nothing when nothing is close", () => {
    expect(nearest("frobnicate", commands)).toBeUndefined()
    expect(nearest("--verbose", options)).toBeUndefined()
    expect(nearest("x", commands)).toBeUndefined()
    // one or two letters are too little to guess from, even when only one command starts with them
    expect(nearest("w", commands)).toBeUndefined()
  })
})

describe("nearest, at the edges", () => {
  it("ignores case", () => {
    expect(nearest("KILL", ["claim", "kill"])).toBe("kill")
    expect(nearest("--Pid-File", ["--pid", "--pid-file"])).toBe("--pid-file")
  })

  it("breaks a tie for the candidate that starts like the word", () => {
    expect(nearest("bsh", ["sh", "bash", "fish", "zsh"])).toBe("bash")
    expect(nearest("zhs", ["sh", "bash", "fish", "zsh"])).toBe("zsh")
  })

  it("does not measure a candidate whose length is too far off (a 131 000-character word answers at once)", () => {
    expect(nearest("x".repeat(131_000), ["claim", "kill", "status", "wait-until-healthy"])).toBeUndefined()
    expect(nearest(`--${"x".repeat(131_000)}`, ["--pid-file", "--grace", "--version"])).toBeUndefined()
  })
})
