/**
 * The simulated process table as plain data, and the pure functions that
 * answer and change it. Time is a number passed in (virtual millis), never
 * read: a process is dead once `now` reaches its `diesAt`, so an exit is
 * computed from the instant asked about rather than scheduled. The
 * `Processes` service over it, on Effect's Clock, is `ProcessesTest.ts`.
 *
 * Every process or thread ever started is an `Incarnation`, kept forever
 * under its `id`: a handle names one, so it never reaches a successor on
 * the same PID, and an orphan's ancestors are still there to find a
 * subreaper among.
 */
import { Data, Duration, Either } from "effect"
import type { Pid } from "./Pid.js"
import { type ProcessIdentity, type ProcessLineage, ProcessState, type ProcessUids, type SignalName } from "./Processes.js"

/**
 * What a signal does to a simulated process.
 * @since 0.1.0
 * @category models
 */
export type Reaction = Data.TaggedEnum<{
  /** Exit `after` the signal arrives (a D-state process survives SIGKILL for a while this way). */
  Exit: { readonly after: Duration.Duration; readonly dumpsStacks: boolean }
  /** Nothing happens: a handler that ignores it, or (for SIGKILL) a process stuck in D state for good. */
  Ignore: {}
}>

const Reactions = Data.taggedEnum<Reaction>()

export const Reaction = {
  exit: (after: Duration.DurationInput = 0): Reaction => Reactions.Exit({ after: Duration.decode(after), dumpsStacks: false }),
  /** A runtime that prints every thread's stack on SIGQUIT (Go, the JVM, Python's faulthandler), then exits. */
  dumpStacksAndExit: (after: Duration.DurationInput = 0): Reaction => Reactions.Exit({ after: Duration.decode(after), dumpsStacks: true }),
  ignore: Reactions.Ignore(),
  $is: Reactions.$is,
  $match: Reactions.$match
} as const

/**
 * How a process dies: reaped by its parent (gone), or left a zombie by a parent that never waits.
 * @since 0.1.0
 * @category models
 */
export type Fate = "Reaped" | "Zombie"

/**
 * @since 0.1.0
 * @category options
 */
export interface Behaviour {
  /** Signals not listed take their default action: exit at once. */
  readonly onSignal?: Partial<Record<SignalName, Reaction>>
  readonly fate?: Fate
  /** A supervisor that waits for its children: it exits the moment one of them does. */
  readonly exitsWithAChild?: boolean
}

/**
 * @since 0.1.0
 * @category options
 */
export interface SpawnSpec {
  /** Default: the lowest free PID above 299. */
  readonly pid?: Pid
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
   * The parent's PID, as /proc reports it (0 for one outside the PID
   * namespace); default 1. A live simulated parent makes this a fork: its
   * session and group are inherited, and when the parent dies the process is
   * re-parented to the nearest live subreaper above, or init.
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

/**
 * Something a simulated process did, at a virtual instant (Clock millis).
 * @since 0.1.0
 * @category models
 */
export type TableEvent =
  | { readonly _tag: "Signal"; readonly at: number; readonly pid: Pid; readonly startTicks: number; readonly signal: SignalName }
  | { readonly _tag: "StackDump"; readonly at: number; readonly pid: Pid; readonly startTicks: number }

/** One process (or thread) that holds or held a PID. */
export interface Incarnation {
  /** Its index in `Table.incarnations`. */
  readonly id: number
  readonly identity: ProcessIdentity
  readonly uids: ProcessUids
  readonly behaviour: Behaviour
  /** Set for a thread: the `id` of the process it belongs to. */
  readonly threadOf: number | undefined
  /** The `id` of the simulated parent it was forked from, if any; `parentPid` otherwise. */
  readonly parent: number | undefined
  readonly parentPid: number
  readonly lineage: Pick<ProcessLineage, "command" | "session" | "processGroup" | "kernelThread" | "state">
  readonly subreaper: boolean
  /** Its scheduler autogroup: a new one for a session leader, else its session's (as setsid and fork hand them out). */
  readonly autogroup: number
  /** Virtual instant of death, once known. */
  readonly diesAt: number | undefined
  readonly fate: Fate
  readonly reaped: boolean
}

export interface Table {
  readonly bootId: string
  /** Every process and thread started so far, by `id`. */
  readonly incarnations: ReadonlyArray<Incarnation>
  /** The `id` of the latest incarnation on each PID ever used, in the order PIDs were first used. */
  readonly holders: ReadonlyMap<number, number>
  readonly events: ReadonlyArray<TableEvent>
  /** The start time the next process gets by default. */
  readonly nextTicks: number
  readonly newestPid: number
  readonly forkCount: number
  readonly lastAutogroup: number
  /** Each session's autogroup, made when its leader's setsid made the session. */
  readonly sessionAutogroups: ReadonlyMap<number, number>
}

export const empty = (bootId: string): Table => ({
  bootId,
  incarnations: [],
  holders: new Map(),
  events: [],
  nextTicks: 1000,
  newestPid: 0,
  forkCount: 0,
  lastAutogroup: 0,
  sessionAutogroups: new Map()
})

const lowestAutoPid = 300

export const incarnation = (table: Table, id: number): Incarnation => table.incarnations[id]!

// Equivalent mutant, not disabled (the line's other ConditionalExpression mutants are killable): diesAt !== undefined
// → true; now >= undefined is false anyway.
export const isDead = (process: Incarnation, now: number): boolean => process.diesAt !== undefined && now >= process.diesAt

/** Whether incarnation `id` has exited (zombie included) by `now`: what its handle sees. */
export const exitedBy = (table: Table, now: number, id: number): boolean => isDead(incarnation(table, id), now)

/** The parent now: the one it forked from while that lives, then the nearest live subreaper above, then init. */
export const parentOf = (table: Table, now: number, process: Incarnation): number => {
  if (process.parent === undefined) return process.parentPid
  const parent = incarnation(table, process.parent)
  if (!isDead(parent, now)) return parent.identity.pid
  for (let id = parent.parent; id !== undefined; id = incarnation(table, id).parent) {
    const ancestor = incarnation(table, id)
    if (ancestor.subreaper && !isDead(ancestor, now)) return ancestor.identity.pid
  }
  return 1
}

/** What holds a PID at `now`, as /proc would show it. */
export type Holder =
  | { readonly _tag: "Gone" }
  | { readonly _tag: "Alive" | "Zombie"; readonly process: Incarnation }

const gone: Holder = { _tag: "Gone" }

export const holderAt = (table: Table, now: number, pid: number): Holder => {
  const id = table.holders.get(pid)
  if (id === undefined) return gone
  const process = incarnation(table, id)
  // A thread ends with its process and is never a zombie of its own.
  if (process.threadOf !== undefined) {
    return isDead(process, now) || isDead(incarnation(table, process.threadOf), now) ? gone : { _tag: "Alive", process }
  }
  if (!isDead(process, now)) return { _tag: "Alive", process }
  // An orphan's zombie is reaped by init at once.
  const reapedByInit = process.parent !== undefined && parentOf(table, now, process) === 1
  return process.fate === "Zombie" && !process.reaped && !reapedByInit ? { _tag: "Zombie", process } : gone
}

const replace = (table: Table, process: Incarnation): Table => {
  const incarnations = table.incarnations.slice()
  incarnations[process.id] = process
  return { ...table, incarnations }
}

/** The process dies by `at` (sooner if it already was to), and a supervisor parent with it. */
const dieBy = (table: Table, id: number, at: number): Table => {
  const process = incarnation(table, id)
  const died = replace(table, { ...process, diesAt: process.diesAt === undefined ? at : Math.min(process.diesAt, at) })
  const parent = process.parent === undefined ? undefined : incarnation(table, process.parent)
  return parent?.behaviour.exitsWithAChild ? dieBy(died, parent.id, at) : died
}

const firstFreePid = (table: Table): Pid => {
  let pid = lowestAutoPid
  while (table.holders.has(pid)) pid++
  return pid as Pid
}

/** A new process or thread on `pid`; refused while something holds it. */
const enter = (
  table: Table,
  now: number,
  pid: Pid,
  identity: Omit<ProcessIdentity, "pid">,
  fields: Pick<Incarnation, "uids" | "behaviour" | "threadOf">,
  spec: SpawnSpec = {}
): Either.Either<readonly [Table, ProcessIdentity], string> => {
  if (holderAt(table, now, pid)._tag !== "Gone") return Either.left(`ProcessesTest: PID ${pid} is taken`)
  // Equivalent mutant, not disabled (→ true is killable): spec.parent === undefined → false; looking up an undefined PID
  // finds nobody either way.
  const parentHolder = spec.parent === undefined ? gone : holderAt(table, now, spec.parent)
  const parent = parentHolder._tag === "Alive" ? parentHolder.process : undefined
  const session = spec.session ?? parent?.lineage.session ?? pid
  const thread = fields.threadOf === undefined ? undefined : incarnation(table, fields.threadOf)
  const leads = thread === undefined && session === pid
  // A thread shares its process's; setsid makes a new one; a fork keeps its session's.
  const autogroup = thread?.autogroup ?? (leads
    ? table.lastAutogroup + 1
    : parent?.lineage.session === session ? parent.autogroup : table.sessionAutogroups.get(session) ?? 0)
  const entry: Incarnation = {
    id: table.incarnations.length,
    identity: { pid, ...identity },
    ...fields,
    parent: parent?.id,
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
    // Stryker disable next-line StringLiteral: only "Zombie" is ever tested for, so any other fate reads as reaped
    fate: fields.behaviour.fate ?? "Reaped",
    reaped: false
  }
  return Either.right([
    {
      ...table,
      incarnations: [...table.incarnations, entry],
      holders: new Map(table.holders).set(pid, entry.id),
      nextTicks: Math.max(table.nextTicks, identity.startTicks + 1),
      newestPid: pid,
      forkCount: table.forkCount + 1,
      lastAutogroup: leads ? autogroup : table.lastAutogroup,
      sessionAutogroups: leads ? new Map(table.sessionAutogroups).set(pid, autogroup) : table.sessionAutogroups
    },
    entry.identity
  ])
}

export const spawn = (table: Table, now: number, spec: SpawnSpec = {}) => {
  const uid = spec.uid ?? 0
  return enter(table, now, spec.pid ?? firstFreePid(table), { startTicks: spec.startTicks ?? table.nextTicks, bootId: spec.bootId ?? table.bootId }, {
    uids: spec.uids ?? { real: uid, effective: uid, saved: uid },
    behaviour: spec.behaviour ?? {},
    threadOf: undefined
  }, spec)
}

/** A thread in the live process `leader`, on `tid` (default: the first free PID). */
export const spawnThread = (table: Table, now: number, leader: Pid, tid?: Pid) => {
  const holder = holderAt(table, now, leader)
  if (holder._tag !== "Alive" || holder.process.threadOf !== undefined) {
    return Either.left(`ProcessesTest: no live process ${leader} to start a thread in`)
  }
  const { bootId } = holder.process.identity
  return enter(table, now, tid ?? firstFreePid(table), { startTicks: table.nextTicks, bootId }, {
    uids: holder.process.uids,
    behaviour: {},
    threadOf: holder.process.id
  })
}

/** Whatever lives on `pid` exits now; `fate` overrides its behaviour's. */
export const exit = (table: Table, now: number, pid: Pid, fate?: Fate): Table => {
  const holder = holderAt(table, now, pid)
  if (holder._tag !== "Alive") return table
  return dieBy(fate === undefined ? table : replace(table, { ...holder.process, fate }), holder.process.id, now)
}

/** The parent of whatever last held `pid` waits for it: a zombie's PID becomes free. */
export const reap = (table: Table, pid: Pid): Table => {
  const id = table.holders.get(pid)
  return id === undefined ? table : replace(table, { ...incarnation(table, id), reaped: true })
}

/** Whatever holds `pid` exits and is reaped, and a new process starts on it. */
export const reuse = (table: Table, now: number, pid: Pid, spec: Omit<SpawnSpec, "pid"> = {}) =>
  // Stryker disable next-line StringLiteral: only "Zombie" is ever tested for, so any other fate reads as reaped
  spawn(reap(exit(table, now, pid, "Reaped"), pid), now, { ...spec, pid })

/** Delivers `signal` to the incarnation `id`, unless it is dead (zombie included): then "Gone", as through a pidfd. */
export const signal = (table: Table, now: number, id: number, name: SignalName): readonly [Table, "Sent" | "Gone"] => {
  const process = incarnation(table, id)
  if (isDead(process, now)) return [table, "Gone"]
  const { pid, startTicks } = process.identity
  const reaction = process.behaviour.onSignal?.[name] ?? Reaction.exit()
  const events: ReadonlyArray<TableEvent> = [
    { _tag: "Signal", at: now, pid, startTicks, signal: name },
    ...(reaction._tag === "Exit" && reaction.dumpsStacks ? [{ _tag: "StackDump", at: now, pid, startTicks } as const] : [])
  ]
  const signalled = { ...table, events: [...table.events, ...events] }
  return [reaction._tag === "Exit" ? dieBy(signalled, id, now + Duration.toMillis(reaction.after)) : signalled, "Sent"]
}

/**
 * Delivers `signal` to whoever holds the PID of incarnation `id` now, if
 * its start time is that incarnation's and it has not exited: the check an
 * identity-pinned handle makes. A table that skipped it would signal a
 * newcomer, as a careless live one would.
 */
export const signalIfStillThere = (table: Table, now: number, id: number, name: SignalName): readonly [Table, "Sent" | "Gone"] => {
  const { pid, startTicks } = incarnation(table, id).identity
  const holder = holderAt(table, now, pid)
  return holder._tag === "Alive" && holder.process.identity.startTicks === startTicks ? signal(table, now, holder.process.id, name) : [table, "Gone"]
}

/** What `pid` is at `now`; a thread is alive in its process's thread group. */
export const stateAt = (table: Table, now: number, pid: Pid): ProcessState => {
  const holder = holderAt(table, now, pid)
  if (holder._tag !== "Alive") return holder._tag === "Zombie" ? ProcessState.Zombie() : ProcessState.Gone()
  const { identity, threadOf, uids } = holder.process
  return ProcessState.Alive({ identity, uids, threadGroup: threadOf === undefined ? identity.pid : incarnation(table, threadOf).identity.pid })
}

/** `pid`'s stat line, as /proc would show it at `now`; undefined when nothing holds it. */
export const lineageAt = (table: Table, now: number, pid: Pid): ProcessLineage | undefined => {
  const holder = holderAt(table, now, pid)
  if (holder._tag === "Gone") return undefined
  const { identity, lineage } = holder.process
  return {
    identity,
    ...lineage,
    // Threads are simulated as tasks apart, so a process here is one thread.
    threads: 1,
    ...(holder._tag === "Zombie" && { state: "Z" }),
    parent: parentOf(table, now, holder.process)
  }
}

/** Live processes and unreaped zombies, as /proc lists them (threads are not listed). */
const listed = (table: Table, now: number): ReadonlyArray<Incarnation> =>
  [...table.holders.keys()].flatMap((pid) => {
    const holder = holderAt(table, now, pid)
    return holder._tag !== "Gone" && holder.process.threadOf === undefined ? [holder.process] : []
  })

export const childrenAt = (table: Table, now: number, pid: Pid): ReadonlyArray<Pid> =>
  listed(table, now).filter((process) => parentOf(table, now, process) === pid).map((process) => process.identity.pid)

/** Every listed process but init. */
export const allPidsAt = (table: Table, now: number): ReadonlyArray<Pid> =>
  listed(table, now).map((process) => process.identity.pid).filter((pid) => pid !== 1)

/** `pid`'s autogroup, undefined when nothing holds it or it sits in the root group (0). */
export const autogroupAt = (table: Table, now: number, pid: Pid): number | undefined => {
  const holder = holderAt(table, now, pid)
  return holder._tag === "Gone" || holder.process.autogroup === 0 ? undefined : holder.process.autogroup
}

/** The signals delivered to `pid`, as `[virtual millis, signal]` pairs. */
export const signalsTo = (table: Table, pid: Pid): ReadonlyArray<readonly [number, SignalName]> =>
  table.events.flatMap((event) => (event._tag === "Signal" && event.pid === pid ? [[event.at, event.signal] as const] : []))
