/**
 * One contract for every `Processes` layer: the live table (with pidfds, and
 * with the kill(2) fallback) against real processes this test starts, on
 * the live clock, and the simulated table under TestClock. The same
 * assertions run against each, so the simulation cannot drift from the
 * kernel. Real signals go only to processes started here.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, type Scope } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { readFileSync } from "node:fs"
import { Errno, Libc, LibcLive } from "../../src/native/Libc.js"
import { type Pid, pidMaxCeiling } from "../../src/process/Pid.js"
import { isSameProcess, Processes, type ProcessUids } from "../../src/process/Processes.js"
import * as ProcessesLive from "../../src/process/ProcessesLive.js"
import * as ProcessesTest from "../../src/process/ProcessesTest.js"
import { ProcessTable } from "../../src/process/ProcessesTest.js"

/** What a contract test needs from a process table besides `Processes`: ways to make processes in it. */
interface Subject {
  readonly name: string
  readonly layer: Layer.Layer<Processes | Subjects>
  /** it.scopedLive for real processes, it.scoped (TestClock) for simulated ones. */
  readonly test: (name: string, self: () => Effect.Effect<void, unknown, Scope.Scope>) => void
}

interface SubjectService {
  /** A process that exits on SIGTERM. */
  readonly process: Effect.Effect<Pid, never, Scope.Scope>
  /** A process with these uids; `undefined` where the subject cannot make one (live, not root). */
  readonly processWithUids: ((uids: ProcessUids) => Effect.Effect<Pid, never, Scope.Scope>) | undefined
  /** A second thread of a new process: its TID and its process's PID. */
  readonly thread: Effect.Effect<{ readonly tid: Pid; readonly process: Pid }, never, Scope.Scope>
  /**
   * A process whose main thread has exited (pthread_exit) while another
   * thread runs: /proc shows it as Z, yet it lives. Only the live table has
   * this quirk to get right.
   */
  readonly withoutMainThread: Effect.Effect<Pid, never, Scope.Scope> | undefined
  /** A dead child whose parent never reaps it. */
  readonly zombie: Effect.Effect<Pid, never, Scope.Scope>
  /** A process that made a session of its own (setsid), and a child it started since. */
  readonly session: Effect.Effect<{ readonly leader: Pid; readonly child: Pid }, never, Scope.Scope>
  /** Ends a process from outside (not through `Processes`), and its parent reaps it. */
  readonly end: (pid: Pid) => Effect.Effect<void>
  /** Reuses `pid` for a new process, where the subject can. */
  readonly reuse: ((pid: Pid) => Effect.Effect<void>) | undefined
  /** The uids of a process from `process`. */
  readonly ownUids: ProcessUids
  readonly pidMax: number
}

class Subjects extends Effect.Tag("test/ProcessesContract/Subjects")<Subjects, SubjectService>() {}

const myUids: ProcessUids = { real: process.getuid!(), effective: process.geteuid!(), saved: process.geteuid!() }

/** One Python helper: prints a PID (or TID) once what `kind` asks for is in place, then sleeps. */
const helperScript = `
import os, sys, threading, time
kind = sys.argv[1]
if kind == "uids":
    os.setresuid(*map(int, sys.argv[2:5]))
    print(os.getpid(), flush=True)
elif kind == "thread":
    started = threading.Event(); tids = []
    def run():
        tids.append(threading.get_native_id()); started.set(); time.sleep(600)
    threading.Thread(target=run, daemon=True).start()
    started.wait()
    print(tids[0], flush=True)
elif kind == "without-main-thread":
    import ctypes
    def run():
        while open("/proc/self/stat").read().rsplit(") ", 1)[1][0] != "Z": time.sleep(0.001)
        print(os.getpid(), flush=True); time.sleep(600)
    threading.Thread(target=run).start()
    ctypes.CDLL(None).pthread_exit(None)
elif kind == "session":
    os.setsid()
    child = os.fork()
    if child == 0:
        import ctypes
        ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG: SIGKILL once its parent is gone
        time.sleep(600); os._exit(0)
    print(child, flush=True)
elif kind == "zombie":
    child = os.fork()
    if child == 0: os._exit(0)
    while open("/proc/%d/stat" % child).read().rsplit(") ", 1)[1][0] != "Z": time.sleep(0.001)
    print(child, flush=True)
else:
    print(os.getpid(), flush=True)
time.sleep(600)
`

const liveSubjects = Layer.sync(Subjects, () => {
  const children = new Map<number, ChildProcess>()
  const stop = (child: ChildProcess) =>
    Effect.promise(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, "exit")
      child.kill("SIGKILL")
      await exited
    })
  const start = (...args: ReadonlyArray<string>) =>
    Effect.acquireRelease(
      Effect.promise(async () => {
        const child = spawn("python3", ["-c", helperScript, ...args], { stdio: ["ignore", "pipe", "inherit"] })
        const [line] = await once(child.stdout!, "data")
        children.set(child.pid!, child)
        return { child, printed: Number(String(line).trim()) as Pid }
      }),
      ({ child }) => stop(child)
    )
  return {
    process: Effect.map(start("process"), ({ printed }) => printed),
    processWithUids: process.getuid!() === 0
      ? (uids) => Effect.map(start("uids", String(uids.real), String(uids.effective), String(uids.saved)), ({ printed }) => printed)
      : undefined,
    thread: Effect.map(start("thread"), ({ child, printed }) => ({ tid: printed, process: child.pid! as Pid })),
    withoutMainThread: Effect.map(start("without-main-thread"), ({ printed }) => printed),
    zombie: Effect.map(start("zombie"), ({ printed }) => printed),
    session: Effect.map(start("session"), ({ child, printed }) => ({ leader: child.pid! as Pid, child: printed })),
    end: (pid) => Effect.suspend(() => stop(children.get(pid)!)),
    reuse: undefined,
    ownUids: myUids,
    pidMax: Number(readFileSync("/proc/sys/kernel/pid_max", "utf8"))
  }
})

/** libc as on a kernel before Linux 5.3: pidfd_open fails with ENOSYS. */
const LibcWithoutPidfds = Layer.effect(
  Libc,
  Effect.map(Libc, (libc) => ({ ...libc, pidfdOpen: () => Effect.fail(new Errno({ syscall: "pidfd_open", code: "ENOSYS" })) }))
).pipe(Layer.provide(LibcLive))

const live = (libc: Layer.Layer<Libc>, options: ProcessesLive.LiveOptions = {}) =>
  Layer.merge(ProcessesLive.layer({ pollInterval: "5 millis", ...options }).pipe(Layer.provide(libc)), liveSubjects)

const simulatedPidMax = 50_000

const simulatedSubjects = Layer.effect(
  Subjects,
  Effect.map(ProcessTable, (table) => ({
    process: Effect.map(table.spawn({ uid: process.getuid!() }), ({ pid }) => pid),
    processWithUids: (uids) => Effect.map(table.spawn({ uids }), ({ pid }) => pid),
    thread: Effect.gen(function*() {
      const { pid } = yield* table.spawn({ uid: process.getuid!() })
      return { tid: (yield* table.spawnThread(pid)).pid, process: pid }
    }),
    withoutMainThread: undefined,
    zombie: Effect.gen(function*() {
      const { pid } = yield* table.spawn({ behaviour: { fate: "Zombie" } })
      yield* table.exit(pid)
      return pid
    }),
    session: Effect.gen(function*() {
      const leader = yield* table.spawn({ uid: process.getuid!() })
      return { leader: leader.pid, child: (yield* table.spawn({ parent: leader.pid })).pid }
    }),
    end: (pid) => table.exit(pid, "Reaped"),
    reuse: (pid) => Effect.asVoid(table.reuse(pid)),
    ownUids: { real: process.getuid!(), effective: process.getuid!(), saved: process.getuid!() },
    pidMax: simulatedPidMax
  } satisfies SubjectService))
)

const subjects: ReadonlyArray<Subject> = [
  { name: "live, with pidfds", layer: live(LibcLive), test: (name, self) => it.scopedLive(name, self) },
  { name: "live, without pidfds (kill(2) and an identity re-check)", layer: live(LibcWithoutPidfds), test: (name, self) => it.scopedLive(name, self) },
  {
    name: "live, past the pidfd budget (pinned by identity, a pidfd per signal)",
    layer: live(LibcLive, { pidfdBudget: 0 }),
    test: (name, self) => it.scopedLive(name, self)
  },
  {
    name: "simulated (ProcessesTest, TestClock)",
    layer: simulatedSubjects.pipe(Layer.provideMerge(ProcessesTest.layer({ pidMax: simulatedPidMax }))),
    test: (name, self) => it.scoped(name, self)
  }
]

/** The message `effect` dies with, or "no defect". */
const defectMessage = (effect: Effect.Effect<unknown, unknown>) =>
  effect.pipe(Effect.as("no defect"), Effect.catchAll(() => Effect.succeed("failed")), Effect.catchAllDefect((defect) => Effect.succeed((defect as Error).message)))

describe.each(subjects)("the Processes contract: $name", ({ layer, test }) => {
  const run = (name: string, body: (processes: typeof Processes.Service, subject: SubjectService) => Effect.Effect<void, unknown, Scope.Scope>) =>
    test(name, () => Effect.flatMap(Effect.all([Processes, Subjects]), ([processes, subject]) => body(processes, subject)).pipe(Effect.provide(layer)))

  run("pidMax is the kernel's (or the simulation's) pid_max", (processes, subject) =>
    Effect.gen(function*() {
      expect(yield* processes.pidMax).toBe(subject.pidMax)
    }))

  run("inspects a running process: its identity, its uids, and that it leads its thread group", (processes, subject) =>
    Effect.gen(function*() {
      const pid = yield* subject.process
      const state = yield* processes.inspect(pid)
      expect(state).toEqual({
        _tag: "Alive",
        identity: { pid, startTicks: expect.any(Number), bootId: expect.any(String) },
        uids: subject.ownUids,
        threadGroup: pid
      })
      if (state._tag !== "Alive") return
      expect(yield* processes.inspect(pid)).toEqual(state)
      const handle = yield* processes.open(pid)
      expect(handle).toMatchObject({ identity: state.identity, uids: subject.ownUids })
    }))

  run("reports real, effective and saved uid apart", (processes, subject) =>
    Effect.gen(function*() {
      if (subject.processWithUids === undefined) return
      const uids = { real: 0, effective: 65534, saved: 0 }
      const pid = yield* subject.processWithUids(uids)
      expect(yield* processes.inspect(pid)).toMatchObject({ _tag: "Alive", uids })
    }))

  run("sees a thread's ID as a thread of its process, and opens it as no process", (processes, subject) =>
    Effect.gen(function*() {
      const { process, tid } = yield* subject.thread
      const state = yield* processes.inspect(tid)
      expect(state).toMatchObject({ _tag: "Alive", identity: { pid: tid }, uids: subject.ownUids, threadGroup: process })
      expect(yield* Effect.scoped(processes.open(tid))).toEqual({ _tag: "Gone" })
      expect((yield* processes.inspect(process))._tag).toBe("Alive")
    }))

  run("a process whose main thread exited while another runs is alive, not a zombie", (processes, subject) =>
    Effect.gen(function*() {
      if (subject.withoutMainThread === undefined) return
      const pid = yield* subject.withoutMainThread
      expect(yield* processes.inspect(pid)).toMatchObject({ _tag: "Alive", threadGroup: pid })
      const handle = yield* processes.open(pid)
      expect(handle._tag).toBe("Open")
    }))

  run("reports a zombie as a zombie, and opens it as gone", (processes, subject) =>
    Effect.gen(function*() {
      const zombie = yield* subject.zombie
      expect(yield* processes.inspect(zombie)).toEqual({ _tag: "Zombie" })
      expect(yield* Effect.scoped(processes.open(zombie))).toEqual({ _tag: "Gone" })
    }))

  run("signals an opened process and notices its exit; then the handle reaches nothing", (processes, subject) =>
    Effect.gen(function*() {
      const pid = yield* subject.process
      const handle = yield* processes.open(pid)
      if (handle._tag === "Gone") return expect.unreachable("the process should be running")
      expect(yield* handle.signal("SIGTERM")).toBe("Sent")
      yield* handle.awaitExit
      expect((yield* processes.inspect(pid))._tag).not.toBe("Alive")
      expect(yield* handle.signal("SIGTERM")).toBe("Gone")
    }))

  run("a process that ended and was reaped is gone: inspect, open and its old handle all say so", (processes, subject) =>
    Effect.gen(function*() {
      const pid = yield* subject.process
      const handle = yield* processes.open(pid)
      if (handle._tag === "Gone") return expect.unreachable("the process should be running")
      yield* subject.end(pid)
      yield* handle.awaitExit
      expect(yield* processes.inspect(pid)).toEqual({ _tag: "Gone" })
      expect(yield* Effect.scoped(processes.open(pid))).toEqual({ _tag: "Gone" })
      expect(yield* handle.signal("SIGKILL")).toBe("Gone")
    }))

  run("exitedAmong finds the handles whose process exited, and none among no handles", (processes, subject) =>
    Effect.gen(function*() {
      const ended = yield* processes.open(yield* subject.process)
      const running = yield* processes.open(yield* subject.process)
      if (ended._tag === "Gone" || running._tag === "Gone") return expect.unreachable("the processes should be running")
      yield* subject.end(ended.identity.pid)
      yield* ended.awaitExit
      expect(yield* processes.exitedAmong([running, ended], Duration.minutes(1))).toEqual([ended])
      expect(yield* processes.exitedAmong([], Duration.minutes(1))).toEqual([])
    }))

  run("exited: false while the process runs, true once it has exited", (processes, subject) =>
    Effect.gen(function*() {
      const pid = yield* subject.process
      const handle = yield* processes.open(pid)
      if (handle._tag === "Gone") return expect.unreachable("the process should be running")
      expect(yield* handle.exited).toBe(false)
      yield* subject.end(pid)
      yield* handle.awaitExit
      expect(yield* handle.exited).toBe(true)
    }))

  run("startTicksNow: no earlier than the start of a process started before it, no later than one started after", (processes, subject) =>
    Effect.gen(function*() {
      const startOf = (pid: Pid) => Effect.map(processes.lineage(pid), (lineage) => Option.getOrThrow(lineage).identity.startTicks)
      const before = yield* startOf(yield* subject.process)
      const now = yield* processes.startTicksNow
      const after = yield* startOf(yield* subject.process)
      expect([before <= now, now <= after]).toEqual([true, true])
    }))

  run("autogroup: a process that made its own session is in a new one, higher than before, which its child shares; a process gone is in none", (processes, subject) =>
    Effect.gen(function*() {
      const earlier = yield* processes.autogroup(yield* subject.process)
      const { child, leader } = yield* subject.session
      const made = yield* processes.autogroup(leader)
      expect(yield* processes.autogroup(child)).toEqual(made)
      expect(Option.getOrThrow(made)).toBeGreaterThan(Option.getOrElse(earlier, () => 0))
      const gone = yield* subject.process
      yield* subject.end(gone)
      expect(yield* processes.autogroup(gone)).toEqual(Option.none())
    }))

  // Both die before any read or system call: such a PID is the caller's bug (a claim that asked
  // about the PID of a pidfile holding none once did), never a process to report on.
  run("inspect and open die on a PID that was never validated: undefined, 0, 1, negative, fractional, NaN, above the kernel's ceiling", (processes) =>
    Effect.gen(function*() {
      for (const pid of [undefined, 0, 1, -5, 300.5, NaN, pidMaxCeiling + 1] as unknown as ReadonlyArray<Pid>) {
        const refusal = `refusing to act on PID ${pid}: not a validated PID (parsePid)`
        expect([yield* defectMessage(processes.inspect(pid)), yield* defectMessage(Effect.scoped(processes.open(pid)))]).toEqual([refusal, refusal])
      }
    }))

  run("a handle never reaches a process that reused its PID", (processes, subject) =>
    Effect.gen(function*() {
      if (subject.reuse === undefined) return
      const pid = yield* subject.process
      const handle = yield* processes.open(pid)
      if (handle._tag === "Gone") return expect.unreachable("the process should be running")
      yield* subject.reuse(pid)
      expect(yield* handle.signal("SIGTERM")).toBe("Gone")
      const successor = yield* processes.inspect(pid)
      expect(successor._tag).toBe("Alive")
      expect(successor._tag === "Alive" && isSameProcess(successor.identity, handle.identity)).toBe(false)
    }))
})
