/**
 * `sipid run`'s steps under SipidTest() and TestClock, with libc's calls
 * that would change this test process (ids, limits, descriptors, signals,
 * execve) recorded instead of made: the order of the steps, what is never
 * done when a step before it fails, and what a failed exec takes back.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Layer, Logger, LogLevel, Option, TestClock } from "effect"
import { readFileSync } from "node:fs"
import { Errno, Libc, LibcLive, type LibcService } from "../../src/native/Libc.js"
import { claim } from "../../src/pidfile/claim.js"
import { identityRecordPath } from "../../src/pidfile/identityRecord.js"
import { SimulatedFiles } from "../../src/pidfile/PidfileFilesTest.js"
import type { Pid } from "../../src/process/Pid.js"
import { ProcessTable, Reaction } from "../../src/process/ProcessesTest.js"
import { limitNow } from "../../src/run/exec.js"
import { run, type RunRequest } from "../../src/run/run.js"
import { SipidTest } from "../../src/testing.js"
import { captureLogs } from "./support/simulation.js"

const path = "/var/vcap/sys/run/job/job.pid"

type Call = readonly [name: string, ...args: ReadonlyArray<unknown>]

/** libc with every call that would change this process recorded in `calls`; execve fails with `execFails`, or completes `exec` and never returns, as a real one that succeeded. */
const recordingLibc = (calls: Array<Call>, exec: Deferred.Deferred<void>, execFails?: string) => {
  const record = (name: string, ...args: ReadonlyArray<unknown>) => Effect.sync(() => void calls.push([name, ...args]))
  const overrides: Partial<LibcService> = {
    setsid: record("setsid"),
    setgroups: (gids) => record("setgroups", gids),
    setresgid: (...ids) => record("setresgid", ...ids),
    setresuid: (...ids) => record("setresuid", ...ids),
    setrlimit: (...limit) => record("setrlimit", ...limit),
    setNice: (nice) => record("setNice", nice),
    umask: (mask) => Effect.as(record("umask", mask), 0o022),
    chdir: (directory) => record("chdir", directory),
    setNoNewPrivs: record("setNoNewPrivs"),
    dup2: (from, to) => record("dup2", from, to),
    // Only what changes something is recorded: the reads answer "open, close-on-exec, no flags".
    fcntl: (fd, command, arg) => command === 1030 ? Effect.succeed(100 + fd) : command === 1 ? Effect.succeed(1) : command === 3 ? Effect.succeed(0) : Effect.as(record("fcntl", fd, command, arg), 0),
    setSignal: (signal, disposition) => record("signal", signal, disposition),
    unblockSignals: record("unblockSignals"),
    execve: (file, argv, env) =>
      Effect.zipRight(
        record("execve", file, argv, env),
        execFails === undefined
          ? // The real one replaces the process; this one says so, waits, and lets the test end it.
            Effect.zipRight(Deferred.succeed(exec, undefined), Effect.interruptible(Effect.never))
          : Effect.fail(new Errno({ syscall: "execve", code: execFails }))
      )
  }
  return Layer.effect(Libc, Effect.map(Libc, (libc) => ({ ...libc, ...overrides }))).pipe(Layer.provide(LibcLive))
}

const request = (pid: Pid, overrides: Partial<RunRequest> = {}): RunRequest => ({
  path,
  pid,
  argv: ["sh", "-c", "exec job"],
  callers: { PATH: "/usr/bin:/bin", KEEP: "yes" },
  clearEnv: false,
  env: [],
  user: Option.none(),
  chdir: Option.none(),
  umask: Option.none(),
  limits: [],
  nice: Option.none(),
  noNewPrivs: false,
  stdout: Option.none(),
  stderr: Option.none(),
  tree: {},
  beforeExec: Effect.void,
  ...overrides
})

/**
 * Runs `run` for a fresh simulated process (sipid) until it execs (or
 * fails), with its calls and log lines; `before` prepares the table and
 * files and may advance the clock while the run waits.
 */
const runUntilExec = (
  overrides: (pid: Pid) => Partial<RunRequest> = () => ({}),
  options: { readonly execFails?: string; readonly meanwhile?: Effect.Effect<void, never, SimulatedFiles> } = {}
) =>
  Effect.gen(function*() {
    const calls: Array<Call> = []
    const logs: Array<string> = []
    const exec = yield* Deferred.make<void>()
    const sipid = yield* (yield* ProcessTable).spawn({ command: "sipid" })
    const files = yield* SimulatedFiles
    // What the pidfile says when the job is about to start.
    const beforeExec = Effect.flatMap(files.content(path), (content) => Effect.sync(() => calls.push(["beforeExec", content])))
    const running = yield* Effect.fork(
      run(request(sipid.pid, { beforeExec, ...overrides(sipid.pid) })).pipe(
        Effect.provide(recordingLibc(calls, exec, options.execFails)),
        Effect.provide(captureLogs(logs)),
        Logger.withMinimumLogLevel(LogLevel.Info)
      )
    )
    if (options.meanwhile !== undefined) yield* options.meanwhile
    const outcome = yield* Effect.raceFirst(Effect.as(Deferred.await(exec), Option.none()), Effect.map(Fiber.await(running), Option.some))
    return { calls, logs, sipid: sipid.pid, running, outcome }
  })

const pidfileNow = Effect.flatMap(SimulatedFiles, (files) => files.content(path))

describe("sipid run's steps", () => {
  it.effect("claims for its own PID, sets the job up in order (the uid last but the directory, saved uid root until the exec), and execs with the job's environment", () =>
    Effect.gen(function*() {
      const files = yield* SimulatedFiles
      const { calls, outcome, sipid } = yield* runUntilExec(() => ({
        user: Option.some({ user: "nobody" }),
        chdir: Option.some("/tmp"),
        umask: Option.some(0o027),
        limits: [{ name: "nofile", resource: 7, soft: 1000n, hard: 2000n }],
        nice: Option.some(5),
        noNewPrivs: true,
        env: [["KEEP", "changed"]]
      }))
      expect(outcome).toEqual(Option.none())
      const names = calls.map(([name]) => name)
      const order = ["setsid", "setgroups", "setresgid", "setrlimit", "setNice", "umask", "setresuid", "chdir", "setNoNewPrivs", "beforeExec", "unblockSignals", "execve"]
      expect(names.filter((name) => order.includes(name))).toEqual(order)
      // Descriptors are seen to before the limits: a low nofile would leave sipid unable to list them.
      expect(names.lastIndexOf("fcntl")).toBeLessThan(names.indexOf("setrlimit"))
      expect(calls).toContainEqual(["setresuid", 65534, 65534, 0])
      expect(calls).toContainEqual(["setresgid", 65534, 65534, 65534])
      expect(calls).toContainEqual(["beforeExec", Option.some(`${sipid}\n`)])
      // The exec comes after every signal the runtime ignores was given its default action back.
      expect(names.lastIndexOf("signal")).toBeLessThan(names.indexOf("execve"))
      const [, file, argv, env] = calls.find(([name]) => name === "execve")!
      expect(file).toMatch(/\/sh$/)
      expect(argv).toEqual(["sh", "-c", "exec job"])
      expect(env).toEqual(["PATH=/usr/bin:/bin", "KEEP=changed", "HOME=/nonexistent", "USER=nobody", "LOGNAME=nobody"])
      expect(yield* files.content(path)).toEqual(Option.some(`${sipid}\n`))
    }).pipe(Effect.provide(SipidTest())))

  it.effect("a command that is not there: exit 127's error, nothing claimed, nothing set up", () =>
    Effect.gen(function*() {
      const { calls, outcome } = yield* runUntilExec(() => ({ argv: ["no-such-command-anywhere"] }))
      expect(Option.getOrThrow(outcome)).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "CommandNotFound", searched: ["/usr/bin", "/bin"] } } })
      expect(yield* Effect.flatMap(SimulatedFiles, (files) => files.paths)).toEqual([])
      expect(calls).toEqual([["setsid"]])
    }).pipe(Effect.provide(SipidTest())))

  it.effect("a pidfile a live process owns: PidfileOwned, and the command never runs", () =>
    Effect.gen(function*() {
      const owner = yield* (yield* ProcessTable).spawn()
      yield* claim({ path, pid: owner.pid })
      const { calls, outcome } = yield* runUntilExec()
      expect(Option.getOrThrow(outcome)).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "PidfileOwned", pid: owner.pid } } })
      expect(calls.map(([name]) => name)).not.toContain("execve")
      expect(yield* pidfileNow).toEqual(Option.some(`${owner.pid}\n`))
    }).pipe(Effect.provide(SipidTest())))

  it.effect("an exec the kernel refuses: the claim is withdrawn, and SIGPIPE, root, sipid's own limits and stderr are taken back, in that order", () =>
    Effect.gen(function*() {
      const nofile = { name: "nofile", resource: 7, soft: 10n, hard: 10n }
      const before = limitNow(readFileSync("/proc/self/limits", "utf8"), 7)!
      const { calls, outcome } = yield* runUntilExec(
        () => ({ user: Option.some({ user: "nobody" }), stderr: Option.some("/dev/null"), limits: [nofile] }),
        { execFails: "EACCES" }
      )
      expect(Option.getOrThrow(outcome)).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "CommandNotExecutable", reason: "exec failed: EACCES (permission denied)" } } })
      expect(yield* Effect.flatMap(SimulatedFiles, (files) => files.paths)).toEqual([])
      const after = calls.slice(calls.findIndex(([name]) => name === "execve") + 1)
      expect(after[0]).toEqual(["signal", 13, "ignore"])
      // Root first (a raised limit needs it), then the limits sipid needs to withdraw the claim (nofile=10 leaves it no file to open).
      expect(after.filter(([name]) => name !== "signal")).toEqual([["setresuid", 0, 0, 0], ["setrlimit", 7, before.soft, before.hard], ["dup2", 102, 2]])
    }).pipe(Effect.provide(SipidTest())))

  it.effect("over a crashed job's leftovers: they get SIGTERM, 2 s, SIGKILL, and only then the exec", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const master = yield* table.spawn({ command: "master" })
      const workers = yield* Effect.forEach([1, 2], () => table.spawn({ parent: master.pid, command: "worker", behaviour: { onSignal: { SIGTERM: Reaction.ignore } } }))
      yield* claim({ path, pid: master.pid })
      yield* table.exit(master.pid)
      const { calls, logs, sipid } = yield* runUntilExec(() => ({}), {
        meanwhile: Effect.gen(function*() {
          yield* TestClock.adjust(Duration.millis(1_999))
          expect(yield* pidfileNow).toEqual(Option.some(`${master.pid}\n`))
          yield* TestClock.adjust(Duration.seconds(1))
        })
      })
      for (const worker of workers) expect(yield* table.signalsTo(worker.pid)).toEqual([[0, "SIGTERM"], [2_000, "SIGKILL"]])
      expect(calls.map(([name]) => name)).toContain("execve")
      expect(yield* pidfileNow).toEqual(Option.some(`${sipid}\n`))
      expect(logs).toContain(`WARN pidfile is stale: process ${master.pid} has exited; stopping what is left of its job`)
    }).pipe(Effect.provide(SipidTest())))

  it.effect("with the leftovers kept (--keep-remains): a warning names them, nothing is signalled, the exec follows at once", () =>
    Effect.gen(function*() {
      const table = yield* ProcessTable
      const master = yield* table.spawn({ command: "master" })
      yield* table.spawn({ parent: master.pid, command: "worker" })
      yield* claim({ path, pid: master.pid })
      yield* table.exit(master.pid)
      const { calls, logs } = yield* runUntilExec(() => ({ tree: undefined }))
      expect(calls.map(([name]) => name)).toContain("execve")
      expect((yield* table.events).filter((event) => event._tag === "Signal")).toEqual([])
      expect(logs.some((line) => line.startsWith(`WARN process ${master.pid}'s job left 1 process(es) running`))).toBe(true)
      expect(yield* Effect.flatMap(SimulatedFiles, (files) => files.content(identityRecordPath(path)))).not.toEqual(Option.none())
    }).pipe(Effect.provide(SipidTest())))
})
