/**
 * A simulated process table for tests, driven by Effect's Clock: under
 * `TestClock` a 20 s grace period costs no real time and every signal is
 * recorded with the virtual instant it was delivered at.
 *
 * Processes have scripted behaviour: how each signal affects them (exit
 * after a delay, optionally dumping stacks first, or nothing at all) and
 * whether their parent reaps them (gone) or not (zombie). A test drives the
 * rest through the `ProcessTable` tag, whose accessors read like
 * `TestClock.adjust` (`yield* ProcessTable.spawn()`): spawn processes and
 * threads, exit, reap, reuse a PID.
 *
 * The table is plain data changed by pure functions (`simulatedTable.ts`);
 * this module only reads the Clock, keeps the current table, pins handles
 * and wakes their waiters. Exits are computed from the clock rather than by
 * forked fibers, so `TestClock.adjust` sees only the program's own fibers
 * and a process is dead exactly at its scheduled instant, not a scheduler
 * turn later. Like the live table, it dies on a PID that was never
 * validated (`guardPid`).
 */
import { Clock, Context, Deferred, Duration, Effect, Either, Layer, Option, Schedule, type Scope } from "effect"
import { guardPid, type Pid, pidMaxCeiling } from "./Pid.js"
import { type Gone, type ProcessHandle, type ProcessIdentity, Processes, type ProcessesService, ProcessState, type SignalName } from "./Processes.js"
import * as Simulated from "./simulatedTable.js"
import type { Fate, SpawnSpec, TableEvent } from "./simulatedTable.js"

export { type Behaviour, type Fate, Reaction, type SpawnSpec, type TableEvent } from "./simulatedTable.js"

/**
 * @since 0.1.0
 * @category services
 */
export interface ProcessTableService {
  readonly spawn: (spec?: SpawnSpec) => Effect.Effect<ProcessIdentity>
  /**
   * Starts a thread in the live process `leader`; returns the thread's own
   * identity (its TID as `pid`). It takes no signals of its own and ends
   * when its process exits.
   */
  readonly spawnThread: (leader: Pid, spec?: { readonly tid?: Pid }) => Effect.Effect<ProcessIdentity>
  /** The process exits now; `fate` overrides its behaviour's. */
  readonly exit: (pid: Pid, fate?: Fate) => Effect.Effect<void>
  /** Its parent finally waits for a zombie: the PID becomes free. */
  readonly reap: (pid: Pid) => Effect.Effect<void>
  /** Whatever holds `pid` exits and is reaped, and a new process starts on the same PID. */
  readonly reuse: (pid: Pid, spec?: Omit<SpawnSpec, "pid">) => Effect.Effect<ProcessIdentity>
  /** Everything that happened so far, in order. */
  readonly events: Effect.Effect<ReadonlyArray<TableEvent>>
  /** The delivered signals, as `[virtual millis, signal]` pairs, for compact assertions. */
  readonly signalsTo: (pid: Pid) => Effect.Effect<ReadonlyArray<readonly [number, SignalName]>>
}

/**
 * The test's handle on the simulated table behind `Processes`; `ProcessTable.spawn(...)` and the rest need only the tag.
 * @since 0.1.0
 * @category services
 */
export class ProcessTable extends Effect.Tag("sipid/ProcessTable")<ProcessTable, ProcessTableService>() {}

/**
 * @since 0.1.0
 * @category options
 */
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

/**
 * @since 0.1.0
 * @category layers
 */
export const make = (options: TestOptions = {}) =>
  Effect.sync(() => {
    const bootId = options.bootId ?? "test-boot"
    let table = Simulated.empty(bootId)
    /** Fibers waiting for an incarnation (by id) to change: its death scheduled or brought forward. */
    const waiting = new Map<number, Deferred.Deferred<void>>()

    /** The table as it stands at the Clock's instant. */
    const atNow = <A>(read: (table: Simulated.Table, now: number) => A) => Effect.map(Clock.currentTimeMillis, (now) => read(table, now))

    /** Makes `next` the table, waking whoever waits on an incarnation it changed. */
    const commit = (next: Simulated.Table) =>
      Effect.suspend(() => {
        const woken = [...waiting].filter(([id]) => next.incarnations[id] !== table.incarnations[id])
        table = next
        for (const [id] of woken) waiting.delete(id)
        return Effect.forEach(woken, ([, deferred]) => Deferred.succeed(deferred, undefined), { discard: true })
      })

    const update = <A>(change: (table: Simulated.Table, now: number) => readonly [Simulated.Table, A]) =>
      Effect.flatMap(atNow(change), ([next, result]) => Effect.as(commit(next), result))

    /** A new process or thread; the table's refusal (a PID taken) is the test's mistake, so a defect. */
    const start = (enter: (table: Simulated.Table, now: number) => Either.Either<readonly [Simulated.Table, ProcessIdentity], string>) =>
      Effect.flatMap(atNow(enter), Either.match({ onLeft: Effect.dieMessage, onRight: ([next, identity]) => Effect.as(commit(next), identity) }))

    const budget = options.pidfdBudget ?? Infinity
    const checkEvery = Duration.decode(options.identityCheckEvery ?? Duration.seconds(1))
    const costsReadTime = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      options.readTime === undefined ? effect : Effect.zipRight(Effect.sleep(options.readTime), effect)
    let pidfdsHeld = 0

    const exitedNow = (id: number) => atNow((table, now) => Simulated.exitedBy(table, now, id))

    /** Resolved at the next change to incarnation `id`. */
    const nextChange = (id: number) =>
      Effect.suspend(() => {
        const known = waiting.get(id)
        return known !== undefined ? Effect.succeed(known) : Effect.map(Deferred.make<void>(), (made) => (waiting.set(id, made), made))
      })

    const awaitExit = (id: number): Effect.Effect<void> =>
      Effect.gen(function*() {
        const changed = yield* nextChange(id)
        const now = yield* Clock.currentTimeMillis
        const process = Simulated.incarnation(table, id)
        if (Simulated.isDead(process, now)) return
        yield* process.diesAt === undefined ? Deferred.await(changed) : Effect.race(Deferred.await(changed), Effect.sleep(process.diesAt - now))
        yield* awaitExit(id)
      })

    /** Completes once one of `watched` is seen dead at a check, as /proc is read for identity-pinned handles. */
    const checkedUntilDead = (watched: ReadonlyArray<number>): Effect.Effect<void> =>
      Effect.repeat(
        atNow((table, now) => watched.some((id) => Simulated.exitedBy(table, now, id))),
        { until: (dead) => dead, schedule: Schedule.spaced(checkEvery) }
      )

    /** Which incarnation each handle opened, for exitedAmong. */
    const incarnationOf = new WeakMap<ProcessHandle, number>()

    const handleOf = ({ id, identity, uids }: Simulated.Incarnation, pinnedBy: ProcessHandle["pinnedBy"]): ProcessHandle => {
      // Like a pidfd, a handle signals its own incarnation; one pinned by identity checks whoever holds the PID now.
      // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: an incarnation that lost its PID is dead, so signalling it and signalling the PID's holder both answer "Gone"
      const send = pinnedBy === "Pidfd" ? Simulated.signal : Simulated.signalIfStillThere
      const handle: ProcessHandle = {
        _tag: "Open",
        identity,
        uids,
        pinnedBy,
        signal: (name) => update((table, now) => send(table, now, id, name)),
        awaitExit: pinnedBy === "Pidfd" ? awaitExit(id) : checkedUntilDead([id]),
        exited: exitedNow(id)
      }
      incarnationOf.set(handle, id)
      return handle
    }

    const open = (pid: Pid) =>
      Effect.zipRight(
        guardPid(pid),
        costsReadTime(Effect.flatMap(atNow((table, now) => Simulated.holderAt(table, now, pid)), (holder): Effect.Effect<ProcessHandle | Gone, never, Scope.Scope> => {
          // Like pidfd_open: a thread's ID opens no process.
          if (holder._tag !== "Alive" || holder.process.threadOf !== undefined) return Effect.succeed(ProcessState.Gone())
          if (pidfdsHeld >= budget) return Effect.succeed(handleOf(holder.process, "Identity"))
          return Effect.acquireRelease(
            Effect.sync(() => (pidfdsHeld++, handleOf(holder.process, "Pidfd"))),
            () => Effect.sync(() => pidfdsHeld--)
          )
        }))
      )

    const exitedAmong = (handles: ReadonlyArray<ProcessHandle>, timeout: Duration.Duration) =>
      Effect.gen(function*() {
        const exited = atNow((table, now) => handles.filter((handle) => Simulated.exitedBy(table, now, incarnationOf.get(handle)!)))
        // Equivalent mutant, not disabled (the line's other ConditionalExpression mutants are killable): (yield* exited).length
        // > 0 → false; the race below sees an exited handle at once.
        if ((yield* exited).length > 0 || handles.length === 0) return yield* exited
        // The filter's test → true is equivalent too, but not disabled: → false is killable.
        // Stryker disable next-line MethodExpression: a check sees a pidfd handle's exit no sooner than the handle's own wait, which the race holds too
        const byIdentity = handles.filter((handle) => handle.pinnedBy === "Identity").map((handle) => incarnationOf.get(handle)!)
        // The filter's test → true is equivalent too, but not disabled: → false is killable.
        // Stryker disable next-line MethodExpression: an identity-pinned handle's awaitExit is the same check as the sweep below, on the same schedule
        const waits = handles.filter((handle) => handle.pinnedBy === "Pidfd").map((handle) => handle.awaitExit)
        // The identity-pinned are checked together, as the live table sweeps them.
        // Equivalent mutants, not disabled (→ false and <= 0 are killable): byIdentity.length > 0 → true or >= 0; a check over no
        // process never ends, which changes nothing in a race that then holds a pidfd wait for every handle.
        yield* Effect.timeoutOption(Effect.raceAll(byIdentity.length > 0 ? [...waits, checkedUntilDead(byIdentity)] : waits), timeout)
        return yield* exited
      })

    const processes: ProcessesService = {
      bootId,
      pidMax: Effect.succeed(options.pidMax ?? pidMaxCeiling),
      inspect: (pid) => Effect.zipRight(guardPid(pid), atNow((table, now) => Simulated.stateAt(table, now, pid))),
      open,
      lineage: (pid) => costsReadTime(atNow((table, now) => Option.fromNullable(Simulated.lineageAt(table, now, pid)))),
      children: (pid) => costsReadTime(atNow((table, now) => Simulated.childrenAt(table, now, pid))),
      allPids: costsReadTime(atNow(Simulated.allPidsAt)),
      newestPid: Effect.sync(() => table.newestPid),
      forkCount: Effect.sync(() => table.forkCount),
      // Start ticks count processes here, not time: every one so far started at most the last handed out.
      startTicksNow: Effect.sync(() => table.nextTicks - 1),
      autogroup: (pid) => costsReadTime(atNow((table, now) => Option.fromNullable(Simulated.autogroupAt(table, now, pid)))),
      newestPidAfter: (seen, every) =>
        Effect.repeat(
          Effect.sync(() => table.newestPid),
          Schedule.spaced(every).pipe(Schedule.whileInput((newest: number) => newest === seen), Schedule.passthrough)
        ),
      exitedAmong
    }
    const control: ProcessTableService = {
      spawn: (spec) => start((table, now) => Simulated.spawn(table, now, spec)),
      spawnThread: (leader, spec = {}) => start((table, now) => Simulated.spawnThread(table, now, leader, spec.tid)),
      exit: (pid, fate) => update((table, now) => [Simulated.exit(table, now, pid, fate), undefined]),
      reap: (pid) => update((table) => [Simulated.reap(table, pid), undefined]),
      reuse: (pid, spec) => start((table, now) => Simulated.reuse(table, now, pid, spec)),
      events: Effect.sync(() => table.events),
      signalsTo: (pid) => Effect.sync(() => Simulated.signalsTo(table, pid))
    }
    return { processes, control }
  })

/**
 * `Processes` backed by a fresh simulated table, and the `ProcessTable` that scripts it.
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: TestOptions = {}): Layer.Layer<Processes | ProcessTable> =>
  Layer.effectContext(
    Effect.map(make(options), ({ control, processes }) =>
      Context.make(Processes, processes).pipe(Context.add(ProcessTable, control)))
  )
