/**
 * A simulated process table for tests, driven by Effect's Clock: under
 * `TestClock` a 20 s grace period costs no real time and every signal is
 * recorded with the virtual instant it was delivered at.
 *
 * Processes have scripted behaviour: how each signal affects them (exit
 * after a delay, optionally dumping stacks first, or nothing at all) and
 * whether their parent reaps them (gone) or not (zombie). A test drives the
 * rest through the `ProcessTable` tag: spawn processes and threads, exit,
 * reap, reuse a PID.
 *
 * Exits are computed lazily from the clock rather than by forked fibers, so
 * `TestClock.adjust` sees only the program's own fibers and a process is
 * dead exactly at its scheduled instant, not a scheduler turn later.
 */
import { Clock, Context, Deferred, Duration, Effect, Layer, Option, Schedule, type Scope } from "effect"
import { type Pid, pidMaxCeiling } from "./Pid.js"
import {
  type Gone,
  type ProcessHandle,
  type ProcessIdentity,
  type ProcessLineage,
  Processes,
  type ProcessesService,
  ProcessState,
  type ProcessUids,
  type SignalName
} from "./Processes.js"

/** What a signal does to a simulated process. */
export type Reaction =
  /** Exit `after` the signal arrives (a D-state process survives SIGKILL for a while this way). */
  | { readonly _tag: "Exit"; readonly after: Duration.Duration; readonly dumpsStacks: boolean }
  /** Nothing happens: a handler that ignores it, or (for SIGKILL) a process stuck in D state for good. */
  | { readonly _tag: "Ignore" }

export const Reaction = {
  exit: (after: Duration.DurationInput = 0): Reaction => ({ _tag: "Exit", after: Duration.decode(after), dumpsStacks: false }),
  /** A runtime that prints every thread's stack on SIGQUIT (Go, the JVM, Python's faulthandler), then exits. */
  dumpStacksAndExit: (after: Duration.DurationInput = 0): Reaction => ({ _tag: "Exit", after: Duration.decode(after), dumpsStacks: true }),
  ignore: { _tag: "Ignore" } as Reaction
} as const

/** How a process dies: reaped by its parent (gone), or left a zombie by a parent that never waits. */
export type Fate = "Reaped" | "Zombie"

export interface Behaviour {
  /** Signals not listed take their default action: exit at once. */
  readonly onSignal?: Partial<Record<SignalName, Reaction>>
  readonly fate?: Fate
  /** A supervisor that waits for its children: it exits the moment one of them does. */
  readonly exitsWithAChild?: boolean
}

export interface SpawnSpec {
  /** Default: the lowest free PID above 299. */
  readonly pid?: number
  /** Real, effective and saved uid at once; default 0 (root). */
  readonly uid?: number
  /** The three apart, like a setuid program or one that called setresuid; overrides `uid`. */
  readonly uids?: ProcessUids
  /** Default: a fresh value, larger than any before. */
  readonly startTicks?: number
  /** Default: the table's boot id; another one simulates a process from another boot. */
  readonly bootId?: string
  readonly behaviour?: Behaviour
  /**
   * The parent's PID; default 1. A live simulated parent makes this a
   * fork: its session and group are inherited, and when the parent dies
   * the process is re-parented to the nearest live subreaper above, or init.
   */
  readonly parent?: number
  /** Default: the parent's when it is simulated, else this process's own PID (a session leader). */
  readonly session?: number
  /** Default: the parent's when it is simulated, else this process's own PID (a group leader). */
  readonly processGroup?: number
  /** The kernel's command name; default "sim". */
  readonly command?: string
  /** Adopts orphaned descendants instead of init (prctl PR_SET_CHILD_SUBREAPER). */
  readonly subreaper?: boolean
  readonly kernelThread?: boolean
  /** The state letter a live process shows (/proc/PID/stat field 3); default "S". "D" for one stuck in the kernel. */
  readonly state?: string
}

/** Something a simulated process did, at a virtual instant (Clock millis). */
export type TableEvent =
  | { readonly _tag: "Signal"; readonly at: number; readonly pid: Pid; readonly startTicks: number; readonly signal: SignalName }
  | { readonly _tag: "StackDump"; readonly at: number; readonly pid: Pid; readonly startTicks: number }

export interface ProcessTableService {
  readonly spawn: (spec?: SpawnSpec) => Effect.Effect<ProcessIdentity>
  /**
   * Starts a thread in the live process `leader`; returns the thread's own
   * identity (its TID as `pid`). It takes no signals of its own and ends
   * when its process exits.
   */
  readonly spawnThread: (leader: number, spec?: { readonly tid?: number }) => Effect.Effect<ProcessIdentity>
  /** The process exits now; `fate` overrides its behaviour's. */
  readonly exit: (pid: number, fate?: Fate) => Effect.Effect<void>
  /** Its parent finally waits for a zombie: the PID becomes free. */
  readonly reap: (pid: number) => Effect.Effect<void>
  /** Whatever holds `pid` exits and is reaped, and a new process starts on the same PID. */
  readonly reuse: (pid: number, spec?: Omit<SpawnSpec, "pid">) => Effect.Effect<ProcessIdentity>
  /** Everything that happened so far, in order. */
  readonly events: Effect.Effect<ReadonlyArray<TableEvent>>
  /** The delivered signals, as `[virtual millis, signal]` pairs, for compact assertions. */
  readonly signalsTo: (pid: number) => Effect.Effect<ReadonlyArray<readonly [number, SignalName]>>
}

/** The test's handle on the simulated table behind `Processes`. */
export class ProcessTable extends Context.Tag("sipid/ProcessTable")<ProcessTable, ProcessTableService>() {}

export interface TestOptions {
  /** What `pidMax` reports; default 4194304, like a 64-bit kernel. */
  readonly pidMax?: number
  readonly bootId?: string
  /**
   * How many handles may hold a (simulated) pidfd at once, like the live
   * table's budget; the others are pinned by identity: each signal checks
   * whoever holds the PID now, and their exits are seen only when checked
   * (now, and every `identityCheckEvery` while waiting). Default: no limit.
   */
  readonly pidfdBudget?: number
  /** Default 1 s, the live table's longest interval. */
  readonly identityCheckEvery?: Duration.DurationInput
  /**
   * Virtual time each read of the table takes (lineage, children, the list
   * of PIDs, open), so that discovery takes time under TestClock as it
   * does on a machine; default none.
   */
  readonly readTime?: Duration.DurationInput
}

/** One process that holds (or held) a PID; a handle is its incarnation, so it never reaches a successor. */
interface Incarnation {
  readonly identity: ProcessIdentity
  readonly uids: ProcessUids
  readonly behaviour: Behaviour
  /** Set for a thread: the process it belongs to. */
  readonly threadOf: Incarnation | undefined
  /** Virtual instant of death, once known. */
  diesAt: number | undefined
  fate: Fate
  reaped: boolean
  /** Completed and replaced whenever `diesAt` or `fate` changes, to wake waiters. */
  changed: Deferred.Deferred<void>
  /** The simulated parent at fork, if any; `parentPid` otherwise. */
  readonly parent: Incarnation | undefined
  readonly parentPid: number
  readonly lineage: Pick<ProcessLineage, "command" | "session" | "processGroup" | "kernelThread" | "state">
  readonly subreaper: boolean
  /** Its scheduler autogroup: a new one for a session leader, else its session's (as setsid and fork hand them out). */
  readonly autogroup: number
}

const lowestAutoPid = 300

export const make = (options: TestOptions = {}) =>
  Effect.sync(() => {
    const bootId = options.bootId ?? "test-boot"
    const pidMax = options.pidMax ?? pidMaxCeiling
    const table = new Map<number, Incarnation>()
    const events: Array<TableEvent> = []
    let nextTicks = 1000
    let newestPid = 0
    let forkCount = 0
    let lastAutogroup = 0
    /** Each session's autogroup, made when its leader's setsid made the session. */
    const sessionAutogroups = new Map<number, number>()

    const isDead = (process: Incarnation, now: number) => process.diesAt !== undefined && now >= process.diesAt

    const notify = (process: Incarnation) =>
      Effect.flatMap(Deferred.make<void>(), (next) => {
        const previous = process.changed
        process.changed = next
        return Deferred.succeed(previous, undefined)
      })

    const dieBy = (process: Incarnation, at: number): Effect.Effect<void> => {
      process.diesAt = process.diesAt === undefined ? at : Math.min(process.diesAt, at)
      const supervisor = process.parent?.behaviour.exitsWithAChild ? dieBy(process.parent, at) : Effect.void
      return Effect.zipRight(notify(process), supervisor)
    }

    /** The parent now: the one it forked from while that lives, then the nearest live subreaper above, then init. */
    const parentOf = (process: Incarnation, now: number): number => {
      if (process.parent === undefined) return process.parentPid
      if (!isDead(process.parent, now)) return process.parent.identity.pid
      for (let ancestor = process.parent.parent; ancestor !== undefined; ancestor = ancestor.parent) {
        if (ancestor.subreaper && !isDead(ancestor, now)) return ancestor.identity.pid
      }
      return 1
    }

    const current = (pid: number) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const process = table.get(pid)
        if (process === undefined) return { _tag: "Gone" } as const
        // A thread ends with its process and is never a zombie of its own.
        if (process.threadOf !== undefined) {
          return isDead(process, now) || isDead(process.threadOf, now) ? ({ _tag: "Gone" } as const) : ({ _tag: "Alive", process } as const)
        }
        if (!isDead(process, now)) return { _tag: "Alive", process } as const
        // An orphan's zombie is reaped by init at once.
        const reapedByInit = process.parent !== undefined && parentOf(process, now) === 1
        return process.fate === "Zombie" && !process.reaped && !reapedByInit
          ? ({ _tag: "Zombie", process } as const)
          : ({ _tag: "Gone" } as const)
      })

    const enter = (
      pid: number,
      identity: Omit<ProcessIdentity, "pid">,
      fields: Pick<Incarnation, "uids" | "behaviour" | "threadOf"> & { readonly spec?: SpawnSpec }
    ) =>
      Effect.gen(function*() {
        if ((yield* current(pid))._tag !== "Gone") return yield* Effect.dieMessage(`ProcessesTest: PID ${pid} is taken`)
        nextTicks = Math.max(nextTicks, identity.startTicks + 1)
        newestPid = pid
        forkCount++
        const { spec = {}, ...rest } = fields
        const parentState = spec.parent === undefined ? undefined : yield* current(spec.parent)
        const parent = parentState?._tag === "Alive" ? parentState.process : undefined
        const session = spec.session ?? parent?.lineage.session ?? pid
        // A thread shares its process's; setsid makes a new one; a fork keeps its session's.
        const autogroup = rest.threadOf?.autogroup ?? (session === pid
          ? ++lastAutogroup
          : parent?.lineage.session === session ? parent.autogroup : sessionAutogroups.get(session) ?? 0)
        if (rest.threadOf === undefined && session === pid) sessionAutogroups.set(pid, autogroup)
        const entry: Incarnation = {
          identity: { pid: pid as Pid, ...identity },
          ...rest,
          parent,
          parentPid: spec.parent ?? 1,
          lineage: {
            command: spec.command ?? "sim",
            session,
            processGroup: spec.processGroup ?? parent?.lineage.processGroup ?? pid,
            kernelThread: spec.kernelThread ?? false,
            state: spec.state ?? "S"
          },
          subreaper: spec.subreaper ?? false,
          autogroup,
          diesAt: undefined,
          fate: fields.behaviour.fate ?? "Reaped",
          reaped: false,
          changed: yield* Deferred.make<void>()
        }
        table.set(pid, entry)
        return entry.identity
      })

    // Suspended: the free PID and the next start time are read when the spawn runs, so one effect can spawn many.
    const spawn = (spec: SpawnSpec = {}) => Effect.suspend(() => {
      const uid = spec.uid ?? 0
      return enter(spec.pid ?? firstFreePid(), { startTicks: spec.startTicks ?? nextTicks, bootId: spec.bootId ?? bootId }, {
        uids: spec.uids ?? { real: uid, effective: uid, saved: uid },
        behaviour: spec.behaviour ?? {},
        threadOf: undefined,
        spec
      })
    })

    const spawnThread = (leader: number, spec: { readonly tid?: number } = {}) =>
      Effect.flatMap(current(leader), (state) =>
        state._tag === "Alive" && state.process.threadOf === undefined
          ? enter(spec.tid ?? firstFreePid(), { startTicks: nextTicks, bootId: state.process.identity.bootId }, {
            uids: state.process.uids,
            behaviour: {},
            threadOf: state.process
          })
          : Effect.dieMessage(`ProcessesTest: no live process ${leader} to start a thread in`))

    const firstFreePid = () => {
      let pid = lowestAutoPid
      while (table.has(pid)) pid++
      return pid
    }

    const exit = (pid: number, fate?: Fate) =>
      Effect.gen(function*() {
        const state = yield* current(pid)
        if (state._tag !== "Alive") return
        if (fate !== undefined) state.process.fate = fate
        yield* dieBy(state.process, yield* Clock.currentTimeMillis)
      })

    const reap = (pid: number) =>
      Effect.sync(() => {
        const process = table.get(pid)
        if (process !== undefined) process.reaped = true
      })

    const reuse = (pid: number, spec: Omit<SpawnSpec, "pid"> = {}) =>
      exit(pid, "Reaped").pipe(Effect.zipRight(reap(pid)), Effect.zipRight(spawn({ ...spec, pid })))

    const signalsTo = (pid: number) =>
      Effect.sync(() =>
        events.flatMap((event) => (event._tag === "Signal" && event.pid === pid ? [[event.at, event.signal] as const] : []))
      )

    const inspect = (pid: Pid): Effect.Effect<ProcessState> =>
      Effect.map(current(pid), (state) =>
        state._tag === "Alive"
          ? ProcessState.Alive({
            identity: state.process.identity,
            uids: state.process.uids,
            threadGroup: (state.process.threadOf ?? state.process).identity.pid
          })
          : state._tag === "Zombie" ? ProcessState.Zombie() : ProcessState.Gone())

    const budget = options.pidfdBudget ?? Infinity
    const checkEvery = Duration.decode(options.identityCheckEvery ?? Duration.seconds(1))
    const read = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      options.readTime === undefined ? effect : Effect.zipRight(Effect.sleep(options.readTime), effect)
    let pidfdsHeld = 0

    const open = (pid: Pid) =>
      read(Effect.flatMap(current(pid), (state): Effect.Effect<ProcessHandle | Gone, never, Scope.Scope> => {
        // Like pidfd_open: a thread's ID opens no process.
        if (state._tag !== "Alive" || state.process.threadOf !== undefined) return Effect.succeed(ProcessState.Gone())
        if (pidfdsHeld >= budget) return Effect.succeed(handleOf(state.process, "Identity"))
        return Effect.acquireRelease(
          Effect.sync(() => (pidfdsHeld++, handleOf(state.process, "Pidfd"))),
          () => Effect.sync(() => pidfdsHeld--)
        )
      }))

    /** Which incarnation each handle opened, for exitedAmong. */
    const incarnationOf = new WeakMap<ProcessHandle, Incarnation>()

    const handleOf = (process: Incarnation, pinnedBy: ProcessHandle["pinnedBy"]): ProcessHandle => {
      const handle: ProcessHandle = {
        _tag: "Open",
        identity: process.identity,
        uids: process.uids,
        pinnedBy,
        signal: (name) => pinnedBy === "Pidfd" ? signal(process, name) : signalWhoeverHolds(process, name),
        awaitExit: pinnedBy === "Pidfd" ? awaitExit(process) : checkedUntilDead([process]),
        exited: Effect.map(Clock.currentTimeMillis, (now) => isDead(process, now))
      }
      incarnationOf.set(handle, process)
      return handle
    }

    /**
     * An identity-pinned handle signals whoever holds the PID now, if its
     * start time is the one pinned and it has not exited: a simulated table
     * that skipped the check would signal a newcomer, as a careless live
     * one would.
     */
    const signalWhoeverHolds = (pinned: Incarnation, name: SignalName) =>
      Effect.flatMap(current(pinned.identity.pid), (state) =>
        state._tag === "Alive" && state.process.identity.startTicks === pinned.identity.startTicks
          ? signal(state.process, name)
          : Effect.succeed("Gone" as const))

    /** Completes once one of `watched` is seen dead at a check, as /proc is read for identity-pinned handles. */
    const checkedUntilDead = (watched: ReadonlyArray<Incarnation>): Effect.Effect<void> =>
      Effect.repeat(
        Effect.map(Clock.currentTimeMillis, (now) => watched.some((process) => isDead(process, now))),
        { until: (dead) => dead, schedule: Schedule.spaced(checkEvery) }
      )

    const signal = (process: Incarnation, name: SignalName) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        // Like a pidfd: a dead process (zombie included) takes no more signals,
        // and its handle never reaches whoever holds the PID now.
        if (isDead(process, now)) return "Gone" as const
        const { pid, startTicks } = process.identity
        events.push({ _tag: "Signal", at: now, pid, startTicks, signal: name })
        const reaction = process.behaviour.onSignal?.[name] ?? Reaction.exit()
        if (reaction._tag === "Exit") {
          if (reaction.dumpsStacks) events.push({ _tag: "StackDump", at: now, pid, startTicks })
          yield* dieBy(process, now + Duration.toMillis(reaction.after))
        }
        return "Sent" as const
      })

    const awaitExit = (process: Incarnation): Effect.Effect<void> => {
      const loop: Effect.Effect<void> = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if (isDead(process, now)) return
        const changed = Deferred.await(process.changed)
        yield* process.diesAt === undefined ? changed : Effect.race(changed, Effect.sleep(process.diesAt - now))
        yield* loop
      })
      return loop
    }

    const lineage = (pid: Pid) =>
      read(Effect.gen(function*() {
        const state = yield* current(pid)
        if (state._tag === "Gone") return Option.none<ProcessLineage>()
        const { identity, lineage } = state.process
        const now = yield* Clock.currentTimeMillis
        return Option.some<ProcessLineage>({
          identity,
          ...lineage,
          // Threads are simulated as tasks apart, so a process here is one thread.
          threads: 1,
          ...(state._tag === "Zombie" && { state: "Z" }),
          parent: parentOf(state.process, now)
        })
      }))

    /** Live processes and unreaped zombies, as /proc lists them (threads are not listed). */
    const listed = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const processes: Array<Incarnation> = []
      for (const pid of table.keys()) {
        const state = yield* current(pid)
        if (state._tag !== "Gone" && state.process.threadOf === undefined) processes.push(state.process)
      }
      return { now, processes }
    })

    const children = (pid: Pid) =>
      read(Effect.map(listed, ({ now, processes }) =>
        processes.filter((process) => parentOf(process, now) === pid).map((process) => process.identity.pid)))

    const allPids = read(Effect.map(listed, ({ processes }) => processes.map((process) => process.identity.pid).filter((pid) => pid !== 1)))

    const exitedAmong = (handles: ReadonlyArray<ProcessHandle>, timeout: Duration.Duration) =>
      Effect.gen(function*() {
        const exited = Effect.map(Clock.currentTimeMillis, (now) => handles.filter((handle) => isDead(incarnationOf.get(handle)!, now)))
        if ((yield* exited).length > 0 || handles.length === 0) return yield* exited
        const byIdentity = handles.filter((handle) => handle.pinnedBy === "Identity").map((handle) => incarnationOf.get(handle)!)
        const waits = handles.filter((handle) => handle.pinnedBy === "Pidfd").map((handle) => handle.awaitExit)
        // The identity-pinned are checked together, as the live table sweeps them.
        yield* Effect.timeoutOption(Effect.raceAll(byIdentity.length > 0 ? [...waits, checkedUntilDead(byIdentity)] : waits), timeout)
        return yield* exited
      })

    const processes: ProcessesService = {
      bootId,
      pidMax: Effect.succeed(pidMax),
      inspect,
      open,
      lineage,
      children,
      allPids,
      newestPid: Effect.sync(() => newestPid),
      forkCount: Effect.sync(() => forkCount),
      // Start ticks count processes here, not time: every one so far started at most the last handed out.
      startTicksNow: Effect.sync(() => nextTicks - 1),
      autogroup: (pid) =>
        read(Effect.map(current(pid), (state) => state._tag === "Gone" || state.process.autogroup === 0 ? Option.none() : Option.some(state.process.autogroup))),
      newestPidAfter: (seen, every) =>
        Effect.repeat(
          Effect.sync(() => newestPid),
          Schedule.spaced(every).pipe(Schedule.whileInput((newest: number) => newest === seen), Schedule.passthrough)
        ),
      exitedAmong
    }
    const control: ProcessTableService = {
      spawn,
      spawnThread,
      exit,
      reap,
      reuse,
      events: Effect.sync(() => [...events]),
      signalsTo
    }
    return { processes, control }
  })

/** `Processes` backed by a fresh simulated table, and the `ProcessTable` that scripts it. */
export const layer = (options: TestOptions = {}): Layer.Layer<Processes | ProcessTable> =>
  Layer.effectContext(
    Effect.map(make(options), ({ control, processes }) =>
      Context.make(Processes, processes).pipe(Context.add(ProcessTable, control)))
  )
