import { Duration, Option } from "effect"
import { describe, expect, it } from "vitest"
import { commands } from "../../src/cli/commands.js"
import { requestedLogFormat, Route, route } from "../../src/cli/parse.js"
import { Check } from "../../src/health/target.js"

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
    expect(routeOf("help", "kill")).toEqual(Route.Help({ command: "kill" }))
    expect(routeOf("kill", "help")).toEqual(Route.Help({ command: "kill" }))
    // after --help, only the command name still counts
    expect(routeOf("kill", "--help", "--gracee", "5s")).toEqual(Route.Help({ command: "kill" }))
  })

  it("lets a mistake before --help or --version win over them", () => {
    expect(routeOf("kill", "--gracee", "5s", "--help")).toEqual(invalid("kill", "unknown option --gracee for kill; did you mean `--grace`?"))
    expect(routeOf("kill", "--pid-file", "--version")).toEqual(invalid("kill", "--pid-file needs a value (FILE), not the option \"--version\""))
    expect(routeOf("claim", "--pid", "5", "--pid-file", "--version")).toEqual(invalid("claim", "--pid-file needs a value (FILE), not the option \"--version\""))
    expect(routeOf("kill", "--bogus", "--version")).toEqual(invalid("kill", "unknown option --bogus for kill"))
    expect(routeOf("--version=no")).toEqual(invalid(undefined, "--version takes no value; drop \"=no\""))
    expect(routeOf("kill", "--help=yes")).toEqual(invalid("kill", "--help takes no value; drop \"=yes\""))
  })

  it("runs a well-formed command line with its options' values, defaults filled in, and the --log-level given anywhere", () => {
    expect(routeOf("kill", "--pid-file", "f", "--log-level", "debug", "--grace", "1s")).toEqual(
      Route.Run({
        command: "kill",
        values: {
          pidFile: `${process.cwd()}/f`,
          showStacks: false,
          grace: Option.some(Duration.seconds(1)),
          retry: Option.none(),
          tree: false,
          treeGrace: Option.none(),
          logFormat: "text"
        },
        logLevel: "debug"
      })
    )
    expect(routeOf("status", "--pid-file=/f", "--log-level=error", "--tree")).toEqual(
      Route.Run({ command: "status", values: { pidFile: "/f", tree: true, logFormat: "text" }, logLevel: "error" })
    )
    expect(routeOf("wait-until-healthy", "--url", "http://x/", "--header", "a: 1", "--header", "b: 2", "--insecure", "--log-format", "json")).toEqual(
      Route.Run({
        command: "wait-until-healthy",
        values: {
          url: [new URL("http://x/")],
          tcp: [],
          unixSocket: Option.none(),
          method: "GET",
          header: [["a", "1"], ["b", "2"]],
          expectStatus: Check.Status({ accepted: [{ min: 200, max: 200 }] }),
          expectBody: Option.none(),
          expectJson: [],
          expectHeader: [],
          timeout: Duration.minutes(1),
          pollingFrequency: Duration.seconds(5),
          requestTimeout: Duration.seconds(5),
          successThreshold: 1,
          caCert: [],
          clientCert: Option.none(),
          clientKey: Option.none(),
          insecure: true,
          logFormat: "json"
        },
        logLevel: undefined
      })
    )
  })

  it("refuses a value its option cannot parse, naming the option", () => {
    expect(routeOf("kill", "--pid-file", "f", "--grace", "20")).toEqual(
      invalid("kill", "--grace: invalid duration \"20\": use Go syntax with a unit, such as 500ms, 10s, 1m30s or 2h")
    )
    expect(routeOf("status", "--pid-file", "/run/")).toEqual(invalid("status", "--pid-file: \"/run/\" must name a file, not a directory"))
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
    expect(routeOf("kill", "--pid-file", "--grace", "5s")).toEqual(invalid("kill", "--pid-file needs a value (FILE), not the option \"--grace\""))
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
    expect(routeOf("--completions", "bash")).toEqual(Route.BuiltIn({ command: undefined }))
    expect(routeOf("--wizard")).toEqual(Route.BuiltIn({ command: undefined }))
    expect(routeOf("kill", "--wizard")).toEqual(Route.BuiltIn({ command: "kill" }))
    expect(routeOf("--completions", "zhs")).toEqual(invalid(undefined, "--completions: \"zhs\" is not one of sh, bash, fish, zsh; did you mean `zsh`?"))
  })
})

describe("route, on values", () => {
  it("never takes a token that starts with - as a value: an empty variable cannot name a pidfile after an option", () => {
    const needsFile = (next: string) => `--pid-file needs a value (FILE), not the option ${JSON.stringify(next)}`
    expect(routeOf("kill", "--pid-file", "--grace=30s")).toEqual(invalid("kill", needsFile("--grace=30s")))
    expect(routeOf("claim", "--pid-file", "--pid=123")).toEqual(invalid("claim", needsFile("--pid=123")))
    expect(routeOf("claim", "--pid", "5", "--pid-file", "-h")).toEqual(invalid("claim", needsFile("-h")))
    expect(routeOf("claim", "--pid", "5", "--pid-file", "-x")).toEqual(invalid("claim", needsFile("-x")))
    expect(routeOf("claim", "--pid", "5", "--pid-file", "--")).toEqual(invalid("claim", needsFile("--")))
    expect(routeOf("kill", "--pid-file", "f", "--grace", "-5s")).toEqual(
      invalid("kill", "--grace needs a value (DURATION); \"-5s\" is negative, and --grace takes no negative value")
    )
    expect(routeOf("claim", "--pid", "-1", "--pid-file", "f")).toEqual(
      invalid("claim", "--pid needs a value (PID); \"-1\" is negative, and --pid takes no negative value")
    )
    expect(routeOf("kill", "--pid-file=--tree")).toEqual(invalid("kill", needsFile("--tree")))
    expect(routeOf("kill", "--pid-file", "f", "--grace=-1s")).toEqual(
      invalid("kill", "--grace needs a value (DURATION); \"-1s\" is negative, and --grace takes no negative value")
    )
  })

  it("rewrites --option=value as two tokens, and refuses an empty value, a value on a flag and --", () => {
    expect(routeOf("wait-until-healthy", "--url=http://x/", "--header=X-A: 1", "--header=X-B: 2=3")).toMatchObject(
      Route.Run({ command: "wait-until-healthy", values: { url: [new URL("http://x/")], header: [["x-a", "1"], ["x-b", "2=3"]] }, logLevel: undefined })
    )
    expect(routeOf("claim", "--pid=", "--pid-file=/tmp/x.pid")).toEqual(invalid("claim", "--pid needs a value (PID), not an empty one"))
    expect(routeOf("claim", "--pid", "5", "--pid-file=")).toEqual(invalid("claim", "--pid-file needs a value (FILE), not an empty one"))
    expect(routeOf("claim", "--pid", "5", "--pid-file", "")).toEqual(invalid("claim", "--pid-file needs a value (FILE), not an empty one"))
    for (const value of ["", "false", "no", "0", "maybe"]) {
      expect(routeOf("kill", "--pid-file", "f", `--show-stacks=${value}`)).toEqual(invalid("kill", `--show-stacks takes no value; drop "=${value}"`))
    }
    expect(routeOf("kill", "--pid-file", "f", "--")).toEqual(invalid("kill", "unexpected \"--\": sipid takes options only, with nothing after them"))
  })
})

describe("route, on mistakes", () => {
  it("says that a command's option goes after COMMAND", () => {
    expect(routeOf("--pid-file", "x", "claim")).toEqual(invalid("claim", "--pid-file goes after COMMAND, as in sipid claim --pid-file ..."))
    expect(routeOf("--log-format", "json")).toEqual(invalid(undefined, "--log-format goes after COMMAND, as in sipid claim --log-format ..."))
  })

  it("suggests regardless of case, for other tools' spellings, and for a long dash", () => {
    expect(routeOf("KILL")).toEqual(invalid(undefined, "unknown command \"KILL\"; did you mean `kill`?"))
    expect(routeOf("constructor")).toEqual(invalid(undefined, "unknown command \"constructor\""))
    expect(routeOf("-v")).toEqual(invalid(undefined, "unknown option -v; did you mean `--version`?"))
    expect(routeOf("kill", "\u2014pid-file", "f")).toEqual(invalid("kill", "\"\u2014pid-file\" starts with a long dash, not --; did you mean `--pid-file`?"))
    expect(routeOf("\u2013\u2013version")).toEqual(invalid(undefined, "\"\u2013\u2013version\" starts with a long dash, not --; did you mean `--version`?"))
    expect(routeOf("--completions", "bsh")).toEqual(invalid(undefined, "--completions: \"bsh\" is not one of sh, bash, fish, zsh; did you mean `bash`?"))
  })

  it("keeps a huge token short in the message, and answers at once", () => {
    const huge = `--${"x".repeat(131_000)}`
    const result = routeOf("kill", ...Array.from({ length: 14 }, () => huge))
    expect(result).toEqual(invalid("kill", `unknown option --${"x".repeat(38)}… for kill`))
    expect(routeOf("kill", "--pid-file", "f", "--log-format", huge.slice(2))).toEqual(
      invalid("kill", `--log-format: "${"x".repeat(40)}…" is not one of text, json`)
    )
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

describe("route, for run's command after --", () => {
  it("takes every word after -- as the job's, whatever it looks like (its own --help, --version, --log-format, --)", () => {
    expect(routeOf("run", "--pid-file", "/f", "--", "job", "--help", "--version", "--log-format", "json", "--", "-x")).toMatchObject(
      Route.Run({ command: "run", values: { pidFile: "/f", command: ["job", "--help", "--version", "--log-format", "json", "--", "-x"], logFormat: "text" }, logLevel: undefined })
    )
    expect(requestedLogFormat(["run", "--pid-file", "/f", "--", "job", "--log-format", "json"])).toBe("text")
    expect(requestedLogFormat(["run", "--log-format", "json", "--pid-file", "/f", "--", "job"])).toBe("json")
  })

  it("parses run's options into the job's settings", () => {
    expect(routeOf("run", "--pid-file", "/f", "--user", "vcap:adm", "--limit", "nofile=10:20", "--env", "A=1", "--umask", "027", "--nice=5", "--", "job")).toMatchObject(
      Route.Run({
        command: "run",
        values: {
          user: Option.some({ user: "vcap", group: "adm" }),
          limit: [{ name: "nofile", resource: 7, soft: 10n, hard: 20n }],
          env: [["A", "1"]],
          umask: Option.some(0o27),
          nice: Option.some(5),
          background: false,
          keepRemains: false,
          command: ["job"]
        },
        logLevel: undefined
      })
    )
  })

  it("takes a negative niceness, which only --nice may be, apart or inline", () => {
    for (const given of [["--nice", "-5"], ["--nice=-5"]]) {
      expect(routeOf("run", "--pid-file", "/f", ...given, "--", "job")).toMatchObject(Route.Run({ command: "run", values: { nice: Option.some(-5) }, logLevel: undefined }))
    }
    expect(routeOf("run", "--pid-file", "/f", "--nice", "--background", "--", "job")).toEqual(
      invalid("run", "--nice needs a value (N), not the option \"--background\"")
    )
  })

  it("needs a command after --, and words before -- are a mistake that says where they go", () => {
    expect(routeOf("run", "--pid-file", "/f")).toEqual(invalid("run", "missing -- COMMAND [ARGS...]"))
    expect(routeOf("run", "--pid-file", "/f", "--")).toEqual(invalid("run", "missing -- COMMAND [ARGS...]"))
    expect(routeOf("run", "--pid-file", "/f", "--", "")).toEqual(invalid("run", "--: needs COMMAND [ARGS...], not an empty word"))
    expect(routeOf("run", "--pid-file", "/f", "job")).toEqual(
      invalid("run", "unexpected argument \"job\": the job's command goes last, after --, as in sipid run OPTIONS -- job")
    )
    expect(routeOf("run", "--pid-file", "/f", "--limit", "files=1", "--", "job")).toEqual(
      invalid("run", "--limit: \"files\" is not a limit: use one of cpu, fsize, data, stack, core, rss, nproc, nofile, memlock, as, locks, sigpending, msgqueue, nice, rtprio, rttime")
    )
    // Never suggests `--` for a misspelt option.
    expect(routeOf("run", "--pid-file", "/f", "--x", "--", "job")).toEqual(invalid("run", "unknown option --x for run"))
  })

  it("a mistake before -- still wins; --help before -- is run's help", () => {
    expect(routeOf("run", "--bogus", "--", "job")).toEqual(invalid("run", "unknown option --bogus for run"))
    expect(routeOf("run", "--help", "--", "job")).toEqual(Route.Help({ command: "run" }))
    expect(routeOf("claim", "--help", "--", "kill")).toEqual(Route.Help({ command: "claim" }))
  })
})
