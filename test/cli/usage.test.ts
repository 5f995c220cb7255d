/** The command line as a script author meets it: help, the version, usage errors (built CLI; no process is signalled). */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { execFile, spawn } from "node:child_process"
import { runSipid, sipidCommand } from "../support/cli.js"

const directory = mkdtempSync(join(tmpdir(), "sipid-usage-"))
const pidfile = join(directory, "job.pid")
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const timestamp = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"
/** One log line: `TIMESTAMP ERROR sipid COMMAND: PROBLEM...; see sipid COMMAND --help`. */
const usageLine = (command: string | undefined, problem: string) => {
  const where = command === undefined ? "sipid" : `sipid ${command}`
  const escaped = problem.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")
  return new RegExp(`^${timestamp} ERROR ${where}: ${escaped}.*? see ${where} --help\\n$`)
}

const commands = ["claim", "kill", "status", "run", "wait-until-healthy", "wait-until-unhealthy"]

/**
 * Lines a command's help may take: 26 for one list of options; the wait
 * commands have 18 options under headings (targets, checks, timing, TLS),
 * each still explained on a line or two, so theirs is a full 50-line screen.
 */
const helpLines = (command: string) => (command.startsWith("wait-") ? 50 : 26)

describe("sipid with no arguments", () => {
  it("prints a short usage on stderr, one line per command, and exits 2", async () => {
    const result = await runSipid([])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe("")
    const lines = result.stderr.trimEnd().split("\n")
    expect(lines.length).toBeLessThanOrEqual(8)
    expect(lines[0]).toBe("usage: sipid COMMAND [OPTIONS]")
    for (const command of commands) expect(result.stderr).toMatch(new RegExp(`^  ${command} +\\w`, "m"))
    expect(lines.at(-1)).toContain("sipid COMMAND --help")
  })
})

describe("help", () => {
  it.each(commands)("sipid %s --help fits a screen of 80 columns and ends with the exit codes", async (command) => {
    const result = await runSipid([command, "--help"])
    expect(result.code).toBe(0)
    const lines = result.stdout.trimEnd().split("\n")
    expect(lines.length).toBeLessThanOrEqual(helpLines(command))
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(80)
    expect(lines[0]).toMatch(new RegExp(`^usage: sipid ${command} `))
    expect(result.stdout).toContain("\nExit codes:\n  0 ")
    expect(result.stdout).not.toMatch(/\u001b\[|A true or false value|This setting is optional|A user-defined piece of text|--wizard|--completions/)
  })

  it("marks required options, shows repeatable ones as repeatable, and gives each option its default", async () => {
    const kill = (await runSipid(["kill", "--help"])).stdout
    expect(kill).toMatch(/^usage: sipid kill --pid-file FILE \[--show-stacks\] \[--grace DURATION\]/)
    expect(kill).toMatch(/^  --pid-file FILE +the pidfile.*\(required\)$/m)
    expect(kill).toMatch(/^  --grace DURATION +.*\(default 20s\)$/m)
    expect(kill).toMatch(/^  --retry SCHEDULE +\S/m)
    expect(kill).toMatch(/^  1 +the process (\(or, with --tree, one of its job\) )?survived/m)
    const health = (await runSipid(["wait-until-healthy", "--help"])).stdout
    // Longer than a screen under its headings: the usage line leaves the options to them.
    expect(health).toMatch(/^usage: sipid wait-until-healthy \[OPTIONS\]$/m)
    expect(health).toMatch(/^  --header 'NAME: VALUE' +.*\(repeatable\)$/m)
    expect(health).toMatch(/^  --timeout DURATION +.*\(default 1m0s\)$/m)
    for (const heading of ["Targets", "Checks", "Timing", "TLS"]) expect(health).toMatch(new RegExp(`\n\n${heading}.*:\n  --`))
    expect(kill).toContain("\n\nOptions:\n  --pid-file")
    const status = (await runSipid(["status", "--help"])).stdout
    expect(status).toMatch(/^  3 +not running, no pidfile$/m)
    // run's options would take five lines: they are listed below, the command after -- last.
    const run = (await runSipid(["run", "--help"])).stdout
    expect(run).toMatch(/^usage: sipid run --pid-file FILE \[OPTIONS\] -- COMMAND \[ARGS\.\.\.\]$/m)
    expect(run).toMatch(/^  --limit NAME=LIMIT +.*\(repeatable\)$/m)
    expect(run).toMatch(/^  126, 127 +COMMAND not executable, not found/m)
  })

  it("lists the commands and the built-in options once, at the top level", async () => {
    const result = await runSipid(["--help"])
    expect(result.code).toBe(0)
    const lines = result.stdout.trimEnd().split("\n")
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(80)
    for (const command of commands) expect(result.stdout).toMatch(new RegExp(`^  ${command} +\\w`, "m"))
    for (const builtIn of ["--log-level LEVEL", "-h, --help", "--version", "--completions SHELL", "--wizard"]) {
      expect(result.stdout.split("\n").filter((line) => line.startsWith(`  ${builtIn} `))).toHaveLength(1)
    }
  })

  it("--version prints exactly one line, the version", async () => {
    const version = JSON.parse(readFileSync("package.json", "utf8")).version
    for (const argv of [["--version"], ["kill", "--version"]]) {
      expect(await runSipid(argv)).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" })
    }
  })

  it("keeps the completion scripts", async () => {
    const result = await runSipid(["--completions", "bash"])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("_sipid_bash_completions")
    expect(result.stdout).toContain("--pid-file")
  })
})

describe("usage errors: one log line naming the option, exit 2", () => {
  it.each([
    [["kil"], undefined, "unknown command \"kil\"; did you mean `kill`?"],
    [["kill", "--pid-file", pidfile, "--gracee", "5s"], "kill", "unknown option --gracee for kill; did you mean `--grace`?"],
    [["claim", "--pid-file", pidfile], "claim", "missing --pid PID"],
    [["kill", "--pid-file"], "kill", "--pid-file needs a value (FILE)"],
    [["status", "--pid-file", pidfile, "--log-format", "xml"], "status", "--log-format: \"xml\" is not one of text, json"],
    [["kill", "--pid-file", pidfile, "--log-level", "bogus"], "kill", "--log-level: \"bogus\" is not one of all, trace, debug, info, warning, error, fatal, none"],
    [["claim", "--pid", "5", "--pid", "6", "--pid-file", pidfile], "claim", "--pid is given more than once; give it once"],
    [["kill", "--pid-file", pidfile, "--grace", "20"], "kill", "--grace: invalid duration \"20\": use Go syntax with a unit, such as 500ms, 10s, 1m30s or 2h"],
    [["kill", "--pid-file", pidfile, "--retry", "TERM/x"], "kill", "--retry: invalid schedule \"TERM/x\""],
    [["claim", "--pid", "0", "--pid-file", pidfile], "claim", "--pid: \"0\" is not a valid PID"]
  ] as const)("%j", async (argv, command, problem) => {
    const result = await runSipid(argv)
    expect(result.code).toBe(2)
    expect(result.stdout).toBe("")
    expect(result.stderr).toMatch(usageLine(command, problem))
  })

  it("comes as a JSON line with --log-format json, the same for a bad --grace and a bad --retry", async () => {
    const grace = await runSipid(["kill", "--pid-file", pidfile, "--log-format", "json", "--grace", "20"])
    const retry = await runSipid(["kill", "--pid-file", pidfile, "--log-format=json", "--retry", "TERM/x"])
    for (const result of [grace, retry]) {
      expect(result.code).toBe(2)
      const line = JSON.parse(result.stderr)
      expect(Object.keys(line)).toEqual(["timestamp", "level", "message", "command"])
      expect(line).toMatchObject({ level: "error", command: "kill", message: expect.stringMatching(/^--(grace|retry): .*; see sipid kill --help$/) })
    }
  })

  it("takes --log-level after the subcommand too, and applies it", async () => {
    const quiet = await runSipid(["kill", "--pid-file", pidfile, "--log-level", "error"])
    const quietToo = await runSipid(["kill", "--pid-file", pidfile, "--log-level=error"])
    const chatty = await runSipid(["kill", "--pid-file", pidfile, "--log-level", "debug"])
    expect([quiet, quietToo].map(({ code, stderr }) => ({ code, stderr }))).toEqual([{ code: 0, stderr: "" }, { code: 0, stderr: "" }])
    expect(chatty.code).toBe(0)
    expect(chatty.stderr).toContain("no pidfile; nothing to stop")
  })

  it("kill warns, and goes on, when its schedule may outlast monit's 30 s stop timeout", async () => {
    const long = await runSipid(["kill", "--pid-file", pidfile, "--grace", "40s"])
    expect(long.code).toBe(0)
    expect(long.stderr).toMatch(new RegExp(`^${timestamp} WARN  sipid kill ${pidfile}: the schedule may wait 45s, past monit's default stop timeout \\(30s\\)`))
    expect((await runSipid(["kill", "--pid-file", pidfile, "--grace", "20s", "--show-stacks"])).stderr).not.toContain("WARN")
  })
})

describe("usage errors come first, and are read as a script author meant", () => {
  it.each([
    [["kill", "--pid-file", "--version"], "kill", "--pid-file needs a value (FILE), not the option \"--version\""],
    [["claim", "--pid", "5", "--pid-file", "--version"], "claim", "--pid-file needs a value (FILE), not the option \"--version\""],
    [["kill", "--bogus", "--version"], "kill", "unknown option --bogus for kill"],
    [["kill", "--gracee", "5s", "--help"], "kill", "unknown option --gracee for kill; did you mean `--grace`?"],
    [["--version=no"], undefined, "--version takes no value; drop \"=no\""]
  ] as const)("a mistake before --version or --help wins: %j", async (argv, command, problem) => {
    const result = await runSipid(argv)
    expect(result).toMatchObject({ code: 2, stdout: "" })
    expect(result.stderr).toMatch(usageLine(command, problem))
  })

  it.each([
    [["kill", "--pid-file", "--grace=30s"], "kill", "--grace=30s"],
    [["claim", "--pid-file", "--pid=123"], "claim", "--pid=123"],
    [["claim", "--pid", "5", "--pid-file", "-h"], "claim", "-h"]
  ] as const)("an empty variable never turns the next option into a pidfile: %j", async (argv, command, next) => {
    const result = await runSipid(argv, { cwd: directory })
    expect(result).toMatchObject({ code: 2, stdout: "" })
    expect(result.stderr).toMatch(usageLine(command, `--pid-file needs a value (FILE), not the option "${next}"`))
    expect(existsSync(join(directory, next))).toBe(false)
  })

  it.each([
    [["claim", "--pid=", "--pid-file=/tmp/x.pid"], "claim", "--pid needs a value (PID), not an empty one"],
    [["claim", "--pid", "5", "--pid-file="], "claim", "--pid-file needs a value (FILE), not an empty one"],
    [["kill", "--pid-file", pidfile, "--show-stacks="], "kill", "--show-stacks takes no value; drop \"=\""],
    [["kill", "--pid-file", pidfile, "--show-stacks=maybe"], "kill", "--show-stacks takes no value; drop \"=maybe\""],
    [["kill", "--pid-file", pidfile, "--show-stacks=false"], "kill", "--show-stacks takes no value; drop \"=false\""],
    [["claim", "--pid", "5", "--pid-file", "--"], "claim", "--pid-file needs a value (FILE), not the option \"--\""],
    [["status", "--pid-file", pidfile, "--"], "status", "unexpected \"--\": sipid takes options only"],
    [["--pid-file", pidfile, "claim"], "claim", "--pid-file goes after COMMAND, as in sipid claim --pid-file ..."]
  ] as const)("sipid's own sentence, never @effect/cli's: %j", async (argv, command, problem) => {
    const result = await runSipid(argv)
    expect(result).toMatchObject({ code: 2, stdout: "" })
    expect(result.stderr).toMatch(usageLine(command, problem))
  })

  it("takes --option=value for every kind of option, a repeatable one too", async () => {
    const result = await runSipid(["status", `--pid-file=${pidfile}`, "--log-format=json", "--log-level=error"])
    expect(result.code).toBe(3)
    const health = await runSipid(["wait-until-healthy", "--url=http://127.0.0.1:1/", "--header=X-A: 1", "--header=X-B: 2", "--timeout=1ms", "--ca-cert=/nonexistent"])
    expect(health.stderr).toMatch(usageLine("wait-until-healthy", "--ca-cert /nonexistent: cannot read it"))
  })

  it("answers a 131 000-character option in one short line", async () => {
    const huge = `--${"x".repeat(131_000)}`
    const result = await runSipid(["kill", huge, huge, huge])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(usageLine("kill", `unknown option --${"x".repeat(38)}… for kill`))
    expect(result.stderr.length).toBeLessThan(200)
  })

  it("prints every usage error whatever --log-level says", async () => {
    for (const argv of [
      ["kill", "--pid-file", pidfile, "--retry", "TERM/1", "--grace", "1s", "--log-level", "none"],
      ["--log-level", "none", "kill", "--pid-file", pidfile, "--retry", "TERM/x"],
      ["kill", "--pid-file", pidfile, "--grace", "20", "--log-level=none"],
      ["kill", "--gracee", "1s", "--log-level", "none"]
    ]) {
      const result = await runSipid(argv)
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(new RegExp(`^${timestamp} ERROR sipid kill: .+[;?] see sipid kill --help\\n$`))
    }
  })

  it("sipid help COMMAND is sipid COMMAND --help, and kill --wizard is tagged kill", async () => {
    expect(await runSipid(["help", "kill"])).toEqual(await runSipid(["kill", "--help"]))
    const wizard = await runSipid(["kill", "--wizard"])
    expect(wizard.code).toBe(2)
    expect(wizard.stderr).toMatch(usageLine("kill", "--wizard needs an interactive terminal"))
  })

  it("kill --help lists every exit code the README does", async () => {
    const kill = (await runSipid(["kill", "--help"])).stdout
    expect(kill).toMatch(/^  3 +.*replaced 20 times/m)
    expect(kill).toMatch(/^  5 +.*hidepid/m)
  })
})

describe("a working directory that was deleted (a job's old package directory, removed under its script)", () => {
  const inDeletedDirectory = async (pidfileArgument: string) => {
    const gone = mkdtempSync(join(directory, "gone-"))
    const sipid = (await sipidCommand()).map((word) => `'${word}'`).join(" ")
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile("sh", ["-c", `cd '${gone}' && rmdir '${gone}' && exec ${sipid} status --pid-file '${pidfileArgument}'`], (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr }))
    )
  }

  it("answers for an absolute pidfile as anywhere", async () => {
    expect(await inDeletedDirectory(pidfile)).toMatchObject({ code: 3, stdout: `not running: no pidfile at ${pidfile}\n` })
  })

  it("refuses a relative one, which names nothing now (exit 2, one line)", async () => {
    const result = await inDeletedDirectory("job.pid")
    expect(result).toMatchObject({ code: 2, stdout: "" })
    expect(result.stderr).toMatch(usageLine("status", "--pid-file: \"job.pid\" is relative, but the working directory was deleted; give the absolute path"))
  })
})

describe("the wizard", () => {
  it("exits 130 when Ctrl-C ends it, as a command stopped by SIGINT does", async () => {
    // script(1) gives the wizard the terminal it needs; Ctrl-C is sent once it prompts.
    const child = spawn("script", ["-qec", `${(await sipidCommand()).join(" ")} kill --wizard`, "/dev/null"], { stdio: ["pipe", "pipe", "inherit"] })
    let output = ""
    let prompted = false
    child.stdout.on("data", (chunk) => {
      output += chunk
      // Once: a second Ctrl-C, after the wizard gave the terminal back, would be a real SIGINT.
      if (!prompted && output.includes("Enter some text")) child.stdin.write("\u0003")
      prompted ||= output.includes("Enter some text")
    })
    const code = await new Promise((resolve) => child.on("close", resolve))
    expect(output).toContain("Quitting wizard mode")
    expect(code).toBe(130)
  })
})
