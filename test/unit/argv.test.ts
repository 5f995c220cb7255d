import { describe, expect, it } from "vitest"
import { requestedLogFormat, Route, route } from "../../src/cli/argv.js"
import { commands } from "../../src/cli/main.js"

const routeOf = (...argv: Array<string>) => route(argv, commands)
const invalid = (command: string | undefined, problem: string) => Route.Invalid({ command, problem })

describe("route", () => {
  it("answers no arguments, help and the version itself", () => {
    expect(routeOf()).toEqual(Route.ShortUsage())
    expect(routeOf("--log-level", "debug")).toEqual(Route.ShortUsage())
    expect(routeOf("--version")).toEqual(Route.Version())
    expect(routeOf("kill", "--version")).toEqual(Route.Version())
    expect(routeOf("--help")).toEqual(Route.Help({ command: undefined }))
    expect(routeOf("-h", "kill")).toEqual(Route.Help({ command: "kill" }))
    // help wins over a mistake on the same line
    expect(routeOf("kill", "--gracee", "5s", "--help")).toEqual(Route.Help({ command: "kill" }))
  })

  it("runs a well-formed command line, with --log-level moved before the command", () => {
    expect(routeOf("kill", "--pid-file", "f", "--log-level", "debug", "--grace", "1s")).toEqual(
      Route.Run({ command: "kill", argv: ["--log-level", "debug", "kill", "--pid-file", "f", "--grace", "1s"] })
    )
    expect(routeOf("status", "--pid-file=f", "--log-level=error")).toEqual(
      Route.Run({ command: "status", argv: ["--log-level=error", "status", "--pid-file=f"] })
    )
    expect(routeOf("wait-until-healthy", "--url", "http://x/", "--header", "a: 1", "--header", "b: 2", "--insecure")).toEqual(
      Route.Run({ command: "wait-until-healthy", argv: ["wait-until-healthy", "--url", "http://x/", "--header", "a: 1", "--header", "b: 2", "--insecure"] })
    )
  })

  it("suggests the nearest command or option for a typo", () => {
    expect(routeOf("kil")).toEqual(invalid(undefined, "unknown command \"kil\"; did you mean `kill`?"))
    expect(routeOf("frobnicate")).toEqual(invalid(undefined, "unknown command \"frobnicate\""))
    expect(routeOf("kill", "--pid-file", "f", "--gracee", "5s")).toEqual(invalid("kill", "unknown option --gracee for kill; did you mean `--grace`?"))
    expect(routeOf("--verison")).toEqual(invalid(undefined, "unknown option --verison; did you mean `--version`?"))
  })

  it("names a missing option, a missing value and a value that is not a choice", () => {
    expect(routeOf("claim", "--pid-file", "f")).toEqual(invalid("claim", "missing --pid PID"))
    expect(routeOf("kill", "--pid-file")).toEqual(invalid("kill", "--pid-file needs a value (FILE)"))
    expect(routeOf("kill", "--pid-file", "--grace", "5s")).toEqual(invalid("kill", "--pid-file needs a value (FILE)"))
    expect(routeOf("kill", "--pid-file", "f", "--log-format", "jsno")).toEqual(
      invalid("kill", "--log-format: \"jsno\" is not one of text, json; did you mean `json`?")
    )
    expect(routeOf("--log-level", "bogus", "kill", "--pid-file", "f")).toEqual(
      invalid("kill", "--log-level: \"bogus\" is not one of all, trace, debug, info, warning, error, fatal, none")
    )
  })

  it("refuses an option given twice, unless it is repeatable, and a stray argument", () => {
    expect(routeOf("claim", "--pid", "5", "--pid=6", "--pid-file", "f")).toEqual(invalid("claim", "--pid is given more than once; give it once"))
    expect(routeOf("status", "--pid-file", "f", "extra")).toEqual(invalid("status", "unexpected argument \"extra\": sipid takes options only"))
  })

  it("leaves the completion script and the wizard to @effect/cli", () => {
    expect(routeOf("--completions", "bash")).toEqual(Route.BuiltIn())
    expect(routeOf("--wizard")).toEqual(Route.BuiltIn())
    expect(routeOf("--completions", "zhs")).toEqual(invalid(undefined, "--completions: \"zhs\" is not one of sh, bash, fish, zsh; did you mean `zsh`?"))
  })
})

describe("requestedLogFormat", () => {
  it("is json only when json is asked for, in either spelling", () => {
    expect(requestedLogFormat(["kill", "--log-format", "json"])).toBe("json")
    expect(requestedLogFormat(["kill", "--log-format=json"])).toBe("json")
    expect(requestedLogFormat(["kill", "--log-format", "xml"])).toBe("text")
    expect(requestedLogFormat(["kill"])).toBe("text")
  })
})
