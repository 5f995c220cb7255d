import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Either, Exit, Fiber, Layer, Logger, Option, TestClock } from "effect"
import { chmodSync, chownSync, existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs"
import { OsError, OsSubject } from "../../src/os/OsError.js"
import { PidfileFiles } from "../../src/pidfile/PidfileFiles.js"
import { claim, ClaimOutcome, claimLocked } from "../../src/pidfile/claim.js"
import { kill, KillOutcome, type KillRequest, stop } from "../../src/pidfile/kill.js"
import { lock, type LockedPidfile } from "../../src/pidfile/lock.js"
import type { Pid } from "../../src/process/Pid.js"
import { type ProcessIdentity, Processes } from "../../src/process/Processes.js"
import { type Behaviour, ProcessTable, Reaction, type SpawnSpec } from "../../src/process/ProcessesTest.js"
import { defaultSchedule, parseStopSchedule } from "../../src/process/stopSchedule.js"
import { makePidfile, type Pidfile, pidfileNamingAThread, settled, simulate } from "./support/simulation.js"

const seconds = (n: number) => TestClock.adjust(Duration.seconds(n))
const millis = (n: number) => TestClock.adjust(Duration.millis(n))

/** A claimed process: its pidfile holds its PID and its identity record. */
const claimed = (behaviour: Behaviour = {}, spec: Pick<SpawnSpec, "uids" | "bootId"> = {}) =>
  Effect.gen(function*() {
    const table = yield* ProcessTable
    const identity = yield* table.spawn({ behaviour, ...spec })
    return { identity, pid: identity.pid, pidfile: makePidfile(`${identity.pid}\n`, identity) }
  })

const startKill = (request: KillRequest) => Effect.fork(kill({ callerUid: 0, ...request }))

const schedule = (text: string) => Either.getOrThrow(parseStopSchedule(text))

const ignoresTerm: Behaviour = { onSignal: { SIGTERM: Reaction.ignore } }

describe("kill, default schedule", () => {
  it.effect("a process that exits 3 s after SIGTERM: stopped at 3 s, pidfile and record removed", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ onSignal: { SIGTERM: Reaction.exit("3 seconds") } })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(3)
        expect(yield* settled(fiber)).toEqual(KillOutcome.Stopped({ pid, after: Duration.seconds(3) }))
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"]])
        expect(pidfile.exists()).toBe(false)
        expect(logs).toContain(`INFO stopping process ${pid} (schedule TERM/20/KILL/5)`)
        expect(logs).toContain(`INFO process ${pid} exited after 3s (waited up to 20s)`)
        expect(logs).toContain("INFO pidfile removed")
      })
    ))

  it.effect("interrupted mid-schedule (SIGTERM to sipid): says so, keeps the pidfile, sends nothing more", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed(ignoresTerm)
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(5)
        expect(Exit.isInterrupted(yield* Fiber.interrupt(fiber))).toBe(true)
        yield* seconds(30)
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"]])
        expect(pidfile.exists()).toBe(true)
        expect(logs).toContain(`WARN interrupted while stopping process ${pid}, which had not exited; pidfile kept`)
      })
    ))

  it.effect("SIGKILL exactly at 20 s, not a tick before", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed(ignoresTerm)
        const fiber = yield* startKill({ path: pidfile.path })
        yield* millis(19_999)
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"]])
        yield* millis(1)
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"], [20_000, "SIGKILL"]])
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(pidfile.exists()).toBe(false)
      })
    ))

  it.effect("--grace 2s moves SIGKILL to 2 s", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed(ignoresTerm)
        const fiber = yield* startKill({ path: pidfile.path, schedule: defaultSchedule({ grace: Duration.seconds(2) }) })
        yield* seconds(2)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"], [2_000, "SIGKILL"]])
      })
    ))

  it.effect("--show-stacks: SIGQUIT at 20 s; a process that dumps and exits is never SIGKILLed", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ onSignal: { SIGTERM: Reaction.ignore, SIGQUIT: Reaction.dumpStacksAndExit("500 millis") } })
        const fiber = yield* startKill({ path: pidfile.path, schedule: defaultSchedule({ showStacks: true }) })
        yield* millis(20_500)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"], [20_000, "SIGQUIT"]])
        expect((yield* table.events).filter((event) => event._tag === "StackDump").map((event) => event.at)).toEqual([20_000])
      })
    ))

  it.effect("--show-stacks: a process that ignores SIGQUIT too gets SIGKILL 2 s later", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ onSignal: { SIGTERM: Reaction.ignore, SIGQUIT: Reaction.ignore } })
        const fiber = yield* startKill({ path: pidfile.path, schedule: defaultSchedule({ showStacks: true }) })
        yield* millis(21_999)
        expect(yield* table.signalsTo(pid)).toHaveLength(2)
        yield* millis(1)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"], [20_000, "SIGQUIT"], [22_000, "SIGKILL"]])
      })
    ))

  it.effect("a process in D state that outlives SIGKILL by 5 s: ProcessSurvived at 25 s, pidfile and record kept", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.ignore } })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(25)
        const exit = yield* Fiber.await(fiber)
        expect(exit).toEqual(Exit.fail(expect.objectContaining({ _tag: "ProcessSurvived", pid, waited: Duration.seconds(25) })))
        expect(Exit.isFailure(exit) && String(Cause.squash(exit.cause))).toContain("SIGKILL included (stuck in D state?)")
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"], [20_000, "SIGKILL"]])
        expect(pidfile.content()).toBe(`${pid}\n`)
        expect(logs).toContain(`WARN process ${pid} still running after 5s`)
      })
    ))

  it.effect("a process that leaves D state 3 s after SIGKILL is stopped at 23 s", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { pidfile } = yield* claimed({ onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.exit("3 seconds") } })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(22)
        expect(fiber.unsafePoll()).toBeNull()
        yield* seconds(1)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(pidfile.exists()).toBe(false)
      })
    ))
})

describe("kill, --retry schedules", () => {
  it.effect("HUP/1/INT/2/KILL/3 sends each signal when the previous wait runs out", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ onSignal: { SIGHUP: Reaction.ignore, SIGINT: Reaction.ignore } })
        const fiber = yield* startKill({ path: pidfile.path, schedule: schedule("HUP/1/INT/2/KILL/3") })
        yield* seconds(3)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGHUP"], [1_000, "SIGINT"], [3_000, "SIGKILL"]])
      })
    ))

  it.effect("forever repeats the tail until the process exits", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.ignore } })
        const fiber = yield* startKill({ path: pidfile.path, schedule: schedule("TERM/5/forever/KILL/1") })
        yield* seconds(8)
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"], [5_000, "SIGKILL"], [6_000, "SIGKILL"], [7_000, "SIGKILL"], [8_000, "SIGKILL"]])
        yield* table.exit(pid)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(pidfile.exists()).toBe(false)
      })
    ))

  it.effect("a bare number N is TERM/N/KILL/N", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ onSignal: { SIGTERM: Reaction.ignore, SIGKILL: Reaction.ignore } })
        const fiber = yield* startKill({ path: pidfile.path, schedule: schedule("4") })
        yield* seconds(8)
        expect(Exit.isFailure(yield* Fiber.await(fiber))).toBe(true)
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"], [4_000, "SIGKILL"]])
      })
    ))
  it.effect("a schedule without KILL (TERM/1) that the process survives: the error does not blame D state", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { pid, pidfile } = yield* claimed(ignoresTerm)
        const fiber = yield* startKill({ path: pidfile.path, schedule: schedule("TERM/1") })
        yield* seconds(1)
        const error = yield* Effect.flip(settled(fiber))
        expect(error._tag).toBe("ProcessSurvived")
        expect(error.message).toContain(`process ${pid} is still alive after 1s; the schedule sent no SIGKILL`)
        expect(error.message).not.toContain("D state")
      })
    ))
})

describe("kill, nothing to signal", () => {
  it.effect("no pidfile: NoPidfile", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const pidfile = makePidfile("")
        unlinkSync(pidfile.path)
        expect(yield* kill({ path: pidfile.path, callerUid: 0 })).toEqual({ _tag: "NoPidfile" })
        expect(logs).toEqual(["INFO no pidfile; nothing to stop"])
      })
    ))

  it.effect("a process that already exited: stale pidfile removed, nothing signalled", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed()
        yield* table.exit(pid)
        expect(yield* kill({ path: pidfile.path, callerUid: 0 })).toEqual(KillOutcome.Stale({ pid, reason: `process ${pid} has exited` }))
        expect(pidfile.exists()).toBe(false)
        expect(yield* table.events).toEqual([])
      })
    ))

  it.effect("a zombie is treated as gone: no signal, no grace period", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ fate: "Zombie" })
        yield* table.exit(pid)
        expect(yield* kill({ path: pidfile.path, callerUid: 0 })).toMatchObject({ _tag: "Stale" })
        expect(pidfile.exists()).toBe(false)
        expect(yield* table.events).toEqual([])
      })
    ))

  it.effect("a process that turns zombie on SIGTERM is stopped as soon as it does", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { pidfile } = yield* claimed({ fate: "Zombie", onSignal: { SIGTERM: Reaction.exit("1 second") } })
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(1)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
      })
    ))

  it.effect("a reused PID is never signalled; the stale pidfile and record are removed", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed()
        yield* table.reuse(pid)
        expect(yield* kill({ path: pidfile.path, callerUid: 0 })).toMatchObject({ _tag: "Stale" })
        expect(yield* table.events).toEqual([])
        expect(pidfile.exists()).toBe(false)
        expect(logs.some((line) => line.includes(`PID ${pid} now belongs to another process`))).toBe(true)
      })
    ))

  it.effect("a PID reused mid-schedule: the old process's exit ends the wait; the newcomer gets nothing", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { identity, pid, pidfile } = yield* claimed(ignoresTerm)
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(5)
        const newcomer = yield* table.reuse(pid, { behaviour: ignoresTerm })
        yield* seconds(30)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        const signals = (yield* table.events).filter((event) => event._tag === "Signal")
        expect(signals.map((event) => [event.at, event.startTicks, event.signal])).toEqual([[0, identity.startTicks, "SIGTERM"]])
        expect(signals.some((event) => event.startTicks === newcomer.startTicks)).toBe(false)
      })
    ))

  it.effect("a pidfile rewritten during the stop (by a tool that does not lock) is left in place", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed(ignoresTerm)
        const other = yield* table.spawn()
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(1)
        writeFileSync(pidfile.path, `${other.pid}\n`)
        yield* seconds(20)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        expect(pidfile.content()).toBe(`${other.pid}\n`)
        expect(logs).toContain(`WARN pidfile no longer names process ${pid} (rewritten meanwhile); left in place`)
      })
    ))
  // Neither leaves anything sipid may remove: only the inode tells a replacement naming the same PID apart.
  it.effect.each([
    ["removed, by a tool that does not lock: stopped, and its record kept", (pidfile: Pidfile) => {
      unlinkSync(pidfile.path)
      return () => expect(existsSync(pidfile.record)).toBe(true)
    }],
    ["replaced by a new file naming the same PID: left in place", (pidfile: Pidfile, pid: number) => {
      writeFileSync(`${pidfile.path}.new`, `${pid}\n`)
      renameSync(`${pidfile.path}.new`, pidfile.path)
      return () => expect(pidfile.content()).toBe(`${pid}\n`)
    }]
  ] as const)("a pidfile %s", ([, meddle]) =>
    simulate((logs) =>
      Effect.gen(function*() {
        const { pid, pidfile } = yield* claimed(ignoresTerm)
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(1)
        const checkLeft = meddle(pidfile, pid)
        yield* seconds(20)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
        checkLeft()
        expect(logs).toContain(`WARN pidfile no longer names process ${pid} (rewritten meanwhile); left in place`)
      })
    ))
})

describe("kill, refusals", () => {
  it.effect.each(["-1", "0", "1", " -5", "1 2", "garbage", "", "\n", "99999999999", "40000", "0x10", "+5", "05"])(
    "hostile content %j: PidfileInvalid, file untouched, nothing signalled",
    (content) =>
      simulate(() =>
        Effect.gen(function*() {
          const table = yield* ProcessTable
          yield* table.spawn({ pid: 5 as Pid })
          yield* table.spawn({ pid: 1 as Pid })
          const pidfile = makePidfile(content)
          const error = yield* Effect.flip(kill({ path: pidfile.path, callerUid: 0 }))
          expect(error._tag).toBe("PidfileInvalid")
          expect(pidfile.content()).toBe(content)
          expect(yield* table.events).toEqual([])
        }), { pidMax: 32768 })
  )

  it.effect("an empty pidfile is refused, saying so", () =>
    simulate(() =>
      Effect.gen(function*() {
        const pidfile = makePidfile("")
        const error = yield* Effect.flip(kill({ path: pidfile.path, callerUid: 0 }))
        expect(error.message).toContain(`${pidfile.path}: is empty, so it names no process to stop`)
      })
    ))

  it.effect("a valid PID followed by 5,000 blanks and garbage is refused: the whole file is judged", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const identity = yield* table.spawn()
        const content = `${identity.pid}\n${" ".repeat(5000)}garbage\n`
        const pidfile = makePidfile(content, identity)
        const error = yield* Effect.flip(kill({ path: pidfile.path, callerUid: 0 }))
        expect(error.message).toContain("is larger than 128 bytes")
        expect(pidfile.content()).toBe(content)
        expect(yield* table.events).toEqual([])
      })
    ))

  it.effect.each([0o664, 0o620, 0o600])("a pidfile writable by its group but not the world (mode %o) is trusted", (mode) =>
    simulate(() =>
      Effect.gen(function*() {
        const identity = yield* (yield* ProcessTable).spawn()
        const pidfile = makePidfile(`${identity.pid}\n`, identity, mode)
        expect(yield* kill({ path: pidfile.path, callerUid: 0 })).toMatchObject({ _tag: "Stopped" })
      })
    ))

  it.effect.each([0o646, 0o602])("a world-writable pidfile (mode %o) is refused", (mode) =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const identity = yield* table.spawn()
        const pidfile = makePidfile(`${identity.pid}\n`, identity, mode)
        const error = yield* Effect.flip(kill({ path: pidfile.path, callerUid: 0 }))
        expect(error).toMatchObject({ _tag: "PidfileInvalid", problem: { _tag: "WorldWritable", mode: expect.any(Number) } })
        expect(error.message).toContain(`world-writable (mode ${mode.toString(8)})`)
        expect(pidfile.exists()).toBe(true)
        expect(yield* table.events).toEqual([])
      })
    ))

  it.effect("a world-writable pidfile is refused", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const identity = yield* table.spawn()
        const pidfile = makePidfile(`${identity.pid}\n`, identity, 0o666)
        const error = yield* Effect.flip(kill({ path: pidfile.path, callerUid: 0 }))
        expect(error.message).toContain("world-writable")
        expect(pidfile.exists()).toBe(true)
        expect(yield* table.events).toEqual([])
      })
    ))

  // The kernel's rule for an unprivileged sender: the target's real or saved uid is the sender's.
  it.effect.each([
    ["root's process", { real: 0, effective: 0, saved: 0 }],
    ["a process with real and saved uid 0 and effective uid nobody", { real: 0, effective: 65534, saved: 0 }],
    ["vcap's process", { real: 1000, effective: 1000, saved: 1000 }]
  ] as const)("as root, a pidfile owned by nobody may not name %s", ([, uids]) =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({}, { uids })
        chownSync(pidfile.path, 65534, 65534)
        const error = yield* Effect.flip(kill({ path: pidfile.path, callerUid: 0 }))
        expect(error.message).toContain(
          `is owned by uid 65534, which could not signal the process it names, ${pid} (real uid ${uids.real}, saved uid ${uids.saved})`
        )
        expect(pidfile.content()).toBe(`${pid}\n`)
        expect(yield* table.events).toEqual([])
      })
    ))

  it.effect.each([
    ["nobody's process, owned by nobody", 65534, { real: 65534, effective: 65534, saved: 65534 }],
    ["a process whose real uid is the owner's", 65534, { real: 65534, effective: 0, saved: 0 }],
    ["a process whose saved uid is the owner's", 65534, { real: 0, effective: 0, saved: 65534 }],
    ["vcap's process, owned by root (BOSH: root claims, chpst -u vcap runs the job)", 0, { real: 1000, effective: 1000, saved: 1000 }]
  ] as const)("as root, a pidfile may name %s", ([, owner, uids]) =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({}, { uids })
        chownSync(pidfile.path, owner, owner)
        expect(yield* kill({ path: pidfile.path, callerUid: 0 })).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"]])
      })
    ))

  it.effect("a pidfile naming a thread: PidfileInvalid naming its process, file untouched, nothing signalled", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { pidfile, process, thread } = yield* pidfileNamingAThread
        const error = yield* Effect.flip(kill({ path: pidfile.path, callerUid: 0 }))
        expect(error._tag).toBe("PidfileInvalid")
        expect(error.message).toContain(`names ${thread}, a thread of process ${process}, not a process`)
        expect(pidfile.content()).toBe(`${thread}\n`)
        expect(yield* (yield* ProcessTable).events).toEqual([])
      })
    ))

  // Between the judgement (inspect) and open, the PID is reused (a later start, or
  // the same start tick in another boot) or the process exits.
  it.effect.each([
    ["changes hands", (table: typeof ProcessTable.Service, pid: Pid) => table.reuse(pid), "PID %d changed hands while it was being opened"],
    [
      "changes hands across a reboot",
      (table: typeof ProcessTable.Service, pid: Pid, identity: ProcessIdentity) =>
        table.reuse(pid, { startTicks: identity.startTicks, bootId: "boot-b" }),
      "PID %d changed hands while it was being opened"
    ],
    ["exits", (table: typeof ProcessTable.Service, pid: Pid) => table.exit(pid), "process %d exited before it could be signalled"]
  ] as const)("the pidfd's process must be the one judged: a PID that %s in between is never signalled", ([, race, reason]) =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const processes = yield* Processes
        const { identity, pid, pidfile } = yield* claimed()
        let raced = false
        const racing = Layer.succeed(Processes, {
          ...processes,
          open: (target) => Effect.zipRight(Effect.tap(race(table, target, identity), () => (raced = true)), processes.open(target))
        })
        expect(yield* kill({ path: pidfile.path, callerUid: 0 }).pipe(Effect.provide(racing))).toMatchObject({ _tag: "Stale" })
        expect(logs).toContain(`WARN pidfile is stale: ${reason.replace("%d", String(pid))}; not signalling`)
        expect(yield* table.events).toEqual([])
        expect(raced).toBe(true)
      })
    ))

  it.effect("the owner rule is root's: another caller is left to the kernel", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { pidfile } = yield* claimed()
        chownSync(pidfile.path, 65534, 65534)
        expect(yield* kill({ path: pidfile.path, callerUid: 1000 })).toMatchObject({ _tag: "Stopped" })
      })
    ))

  it.effect.skipIf(process.getuid?.() !== 0)("the caller is this process by default (run as root: the owner rule applies)", () =>
    simulate(() =>
      Effect.gen(function*() {
        const { pidfile } = yield* claimed()
        chownSync(pidfile.path, 65534, 65534)
        expect((yield* Effect.flip(kill({ path: pidfile.path }))).message).toContain("is owned by uid 65534")
      })
    ))

  it.effect.each<readonly [string, (record: string) => void]>([
    ["owned by another user than the pidfile's", (record) => chownSync(record, 65534, 65534)],
    ["world-writable", (record) => chmodSync(record, 0o666)]
  ])("an identity record %s is ignored: a forged one cannot make kill leave a live job running", ([, spoil]) =>
    simulate((logs) =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { identity, pid, pidfile } = yield* claimed()
        // The forgery claims the PID was reused: a kill that believed it would remove the pidfile unsignalled.
        writeFileSync(pidfile.record, JSON.stringify({ ...identity, startTicks: identity.startTicks + 1 }) + "\n")
        spoil(pidfile.record)
        expect(yield* kill({ path: pidfile.path, callerUid: 0 })).toMatchObject({ _tag: "Stopped" })
        expect(yield* table.signalsTo(pid)).toEqual([[0, "SIGTERM"]])
        expect(logs.some((line) => line.startsWith(`WARN ignoring identity record ${pidfile.record}: it is`))).toBe(true)
      })
    ))

  it.effect("never signals sipid itself or the process that started it: exit 4, pidfile untouched", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed()
        const error = yield* Effect.flip(kill({ path: pidfile.path, callerUid: 0, callerPids: [4242 as Pid, pid] }))
        expect(error._tag).toBe("PidfileInvalid")
        expect(error.message).toContain(`names process ${pid}, which is sipid itself or the process that started it`)
        expect(yield* table.events).toEqual([])
        expect(pidfile.content()).toBe(`${pid}\n`)
      })
    ))

  it.effect.each(["pid", "ppid"] as const)("by default, never signals this process's %s (sipid itself or what started it)", (which) =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const identity = yield* table.spawn({ pid: process[which] as Pid })
        const pidfile = makePidfile(`${identity.pid}\n`, identity)
        const error = yield* Effect.flip(kill({ path: pidfile.path, callerUid: 0 }))
        expect(error.message).toContain(`names process ${process[which]}, which is sipid itself or the process that started it`)
        expect(yield* table.events).toEqual([])
      })
    ))

  it.effect("a library caller's logger gets the pidfile and the PID with each line", () =>
    simulate(() => Effect.gen(function*() {
      const lines: Array<{ readonly message: string; readonly annotations: Record<string, unknown> }> = []
      const logger = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ annotations, message }) => lines.push({ message: [message].flat().join(" "), annotations: Object.fromEntries(annotations) }))
      )
      const { pid, pidfile } = yield* claimed()
      const fiber = yield* startKill({ path: pidfile.path }).pipe(Effect.provide(logger))
      yield* millis(1)
      expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
      expect(lines.length).toBeGreaterThan(2)
      for (const line of lines) expect(line.annotations, line.message).toEqual({ pidfile: pidfile.path, pid })
      // The total comes last, after the pidfile's removal.
      expect(lines.slice(-2).map((line) => line.message)).toEqual(["pidfile removed", `process ${pid} stopped after 0ms`])
    })))

  it.effect("a pidfile that cannot be removed after the stop (read-only disk) still reports Stopped, with a warning", () =>
    simulate((logs) =>
      Effect.gen(function*() {
        const files = yield* PidfileFiles
        const { pid, pidfile } = yield* claimed()
        const readOnly = Layer.succeed(PidfileFiles, {
          ...files,
          remove: (path) => new OsError({ operation: "remove", subject: OsSubject.File({ path }), code: "EROFS" })
        })
        expect(yield* kill({ path: pidfile.path, callerUid: 0 }).pipe(Effect.provide(readOnly))).toMatchObject({ _tag: "Stopped" })
        expect(logs.some((line) => line.startsWith(`WARN process ${pid} is gone, but its pidfile could not be removed: ${pidfile.path}: remove failed: EROFS`))).toBe(true)
        expect(pidfile.exists()).toBe(true)
      })
    ))

  it.effect("a claim that gets in between the removal of the pidfile and of its record keeps its new record", () =>
    simulate(() =>
      Effect.gen(function*() {
        const files = yield* PidfileFiles
        const processes = yield* Processes
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed()
        const successor = yield* table.spawn()
        // The pidfile's name is free once it is unlinked: a claim may create a new one and write its record.
        const claimingMeanwhile = Layer.succeed(PidfileFiles, {
          ...files,
          remove: (path, node) =>
            Effect.tap(files.remove(path, node), () =>
              path === pidfile.path
                ? claim({ path, pid: successor.pid as Pid }).pipe(
                  Effect.provideService(PidfileFiles, files),
                  Effect.provideService(Processes, processes),
                  Effect.orDie
                )
                : Effect.void)
        })
        yield* table.exit(pid)
        expect(yield* kill({ path: pidfile.path, callerUid: 0 }).pipe(Effect.provide(claimingMeanwhile))).toMatchObject({ _tag: "Stale" })
        expect(pidfile.content()).toBe(`${successor.pid}\n`)
        expect(JSON.parse(readFileSync(pidfile.record, "utf8"))).toMatchObject({ pid: successor.pid, startTicks: successor.startTicks })
      })
    ))

  it.effect("a claim during a kill fails fast with PidfileLocked", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pidfile } = yield* claimed(ignoresTerm)
        const next = yield* table.spawn()
        const fiber = yield* startKill({ path: pidfile.path })
        yield* seconds(1)
        const error = yield* Effect.flip(claim({ path: pidfile.path, pid: next.pid as Pid }))
        expect(error._tag).toBe("PidfileLocked")
        yield* seconds(19)
        expect(yield* settled(fiber)).toMatchObject({ _tag: "Stopped" })
      })
    ))
})

describe("stop, then claimLocked, under one held lock", () => {
  it.effect("hands the pidfile to a successor: never missing, and no other claim gets in meanwhile", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const { pid, pidfile } = yield* claimed({ onSignal: { SIGTERM: Reaction.exit("1 second") } })
        const restart = Effect.gen(function*() {
          const locked = Option.getOrThrow(yield* lock(pidfile.path))
          const stopped = yield* stop(locked, { callerUid: 0 })
          // The old process is gone, its pidfile still there and still locked.
          const keptContent = pidfile.content()
          const successor = yield* table.spawn()
          const rival = yield* Effect.flip(claim({ path: pidfile.path, pid: successor.pid }))
          const claimedOutcome = yield* claimLocked(locked, successor.pid)
          return { stopped, keptContent, rival, claimedOutcome, successor }
        }).pipe(Effect.scoped)
        const fiber = yield* Effect.fork(restart)
        yield* seconds(1)
        const { claimedOutcome, keptContent, rival, stopped, successor } = yield* settled(fiber)
        expect(stopped).toEqual(KillOutcome.Stopped({ pid, after: Duration.seconds(1) }))
        expect(keptContent).toBe(`${pid}\n`)
        expect(rival._tag).toBe("PidfileLocked")
        expect(claimedOutcome).toEqual(ClaimOutcome.Claimed())
        expect(pidfile.content()).toBe(`${successor.pid}\n`)
        expect(JSON.parse(readFileSync(pidfile.record, "utf8"))).toMatchObject(successor)
        expect(yield* table.signalsTo(successor.pid)).toEqual([])
      })
    ))

  it.effect("stop never acts on a lock that created the pidfile: it names the process being claimed", () =>
    simulate(() =>
      Effect.gen(function*() {
        const table = yield* ProcessTable
        const successor = yield* table.spawn()
        const pidfile = makePidfile("")
        unlinkSync(pidfile.path)
        const created = yield* lock(pidfile.path, { create: successor.pid })
        // @ts-expect-error: stop takes only the lock of a pidfile that was there
        const typed = () => stop(created)
        expect(typed).toBeTypeOf("function")
        const exit = yield* Effect.exit(stop(created as LockedPidfile, { callerUid: 0 }))
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
        expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain(
          `Pidfile.stop: ${pidfile.path} was created by this lock; stop takes only a lock from lock(path)`
        )
        expect(yield* table.signalsTo(successor.pid)).toEqual([])
        expect(pidfile.content()).toBe(`${successor.pid}\n`)
      })
    ))
})
