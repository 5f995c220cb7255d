import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { chmodSync, mkdirSync, symlinkSync, unlinkSync } from "node:fs"
import { statusExitCode } from "../../src/cli/exitCodes.js"
import { describeStatus, status } from "../../src/pidfile/status.js"
import { ProcessTable } from "../../src/process/ProcessesTest.js"
import { makePidfile, pidfileNamingAThread, simulate } from "./support/simulation.js"

const check = (path: string) => Effect.map(status(path), (current) => ({ code: statusExitCode(current), line: describeStatus(path, current) }))

describe("status", () => {
  it.effect("running: 0", () =>
    simulate(() =>
      Effect.gen(function*() {
        const identity = yield* (yield* ProcessTable).spawn()
        const pidfile = makePidfile(`${identity.pid}\n`, identity)
        expect(yield* check(pidfile.path)).toEqual({ code: 0, line: `running: process ${identity.pid} (${pidfile.path})` })
      })
    ))

  it.effect("exited, zombie or reused: 1, and the line says which", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const exited = yield* table.spawn()
        const zombie = yield* table.spawn({ behaviour: { fate: "Zombie" } })
        const reused = yield* table.spawn()
        yield* table.exit(exited.pid)
        yield* table.exit(zombie.pid)
        yield* table.reuse(reused.pid)
        const lines = []
        for (const identity of [exited, zombie, reused]) {
          const result = yield* check(makePidfile(`${identity.pid}\n`, identity).path)
          expect(result.code).toBe(1)
          lines.push(result.line)
        }
        expect(lines[0]).toContain("has exited")
        expect(lines[1]).toContain("is a zombie")
        expect(lines[2]).toContain("now belongs to another process")
      })
    ))

  it.effect("no pidfile: 3", () =>
    simulate(() =>
      Effect.gen(function*() {
        const pidfile = makePidfile("")
        unlinkSync(pidfile.path)
        expect(yield* check(pidfile.path)).toEqual({ code: 3, line: `not running: no pidfile at ${pidfile.path}` })
      })
    ))

  it.effect.each(["", "garbage", "-1", "0", "1"])("invalid content %j: 4", (content) =>
    simulate(() =>
      Effect.gen(function*() {
        expect((yield* check(makePidfile(content).path)).code).toBe(4)
      })
    ))

  it.effect("an empty pidfile: 4, saying so", () =>
    simulate(() =>
      Effect.gen(function*() {
        const pidfile = makePidfile("")
        expect(yield* check(pidfile.path)).toEqual({ code: 4, line: `unknown: ${pidfile.path} is empty` })
      })
    ))

  it.effect.each([
    ["in this boot", "boot-a", ""],
    ["after a reboot", "an-earlier-boot", ", or after a reboot"]
  ] as const)("a PID reused %s: the line gives both start ticks", ([, recordedBoot, suffix]) =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const old = yield* table.spawn({ bootId: recordedBoot, startTicks: 1000 })
        const pidfile = makePidfile(`${old.pid}\n`, old)
        yield* table.reuse(old.pid, { startTicks: 2000 })
        expect((yield* check(pidfile.path)).line).toBe(
          `not running: PID ${old.pid} now belongs to another process (started at tick 2000, not 1000${suffix}); stale pidfile ${pidfile.path}`
        )
      })
    ))

  it.effect("an identity record that cannot be read is ignored, with a warning", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const identity = yield* (yield* ProcessTable).spawn()
        const pidfile = makePidfile(`${identity.pid}\n`)
        mkdirSync(pidfile.record)
        expect((yield* check(pidfile.path)).code).toBe(0)
        expect(logs).toEqual([`WARN ignoring identity record ${pidfile.record}: ${pidfile.record}: is a directory, not a pidfile; left untouched, fix or remove it by hand`])
      })
    ))

  it.effect("a pidfile naming a thread: 4, naming the thread's process", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { pidfile, process, thread } = yield* pidfileNamingAThread
        expect(yield* check(pidfile.path)).toEqual({
          code: 4,
          line: expect.stringMatching(new RegExp(`^unknown: .*names ${thread}, a thread of process ${process}, not a process`))
        })
      })
    ))

  it.effect("a symlink or a directory: 4", () =>
    simulate(() =>
      Effect.gen(function*() {
        const pidfile = makePidfile("123\n")
        symlinkSync(pidfile.path, `${pidfile.path}.link`)
        mkdirSync(`${pidfile.path}.dir`)
        expect((yield* check(`${pidfile.path}.link`)).line).toContain("symbolic link")
        expect((yield* check(`${pidfile.path}.link`)).code).toBe(4)
        expect((yield* check(`${pidfile.path}.dir`)).code).toBe(4)
      })
    ))

  it.effect("works on a world-writable pidfile too: it only reads", () =>
    simulate(() =>
      Effect.gen(function*() {
        const identity = yield* (yield* ProcessTable).spawn()
        const pidfile = makePidfile(`${identity.pid}\n`, identity)
        chmodSync(pidfile.path, 0o666)
        expect((yield* check(pidfile.path)).code).toBe(0)
      })
    ))

  it.effect("a socket is named as a socket: 4", () =>
    simulate(() =>
      Effect.gen(function*() {
        const pidfile = makePidfile("")
        unlinkSync(pidfile.path)
        execFileSync("python3", ["-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", pidfile.path])
        expect(yield* check(pidfile.path)).toEqual({ code: 4, line: `unknown: ${pidfile.path}: is a socket, not a regular file; left untouched, fix or remove it by hand` })
      })
    ))

  it.effect("a valid PID followed by more than a pidfile can hold: 4", () =>
    simulate(() =>
      Effect.gen(function*() {
        const identity = yield* (yield* ProcessTable).spawn()
        const pidfile = makePidfile(`${identity.pid}\n${" ".repeat(5000)}garbage`, identity)
        expect(yield* check(pidfile.path)).toMatchObject({ code: 4, line: expect.stringContaining("is larger than 128 bytes") })
      })
    ))
})
