/**
 * Which processes belong to a job: the main process's descendants and,
 * when it leads its own session or process group, whoever is still in that
 * session or group (a daemon that double-forked away from its parent keeps
 * its session). A process is a member because of how it relates to the
 * main process, never because of its PID or name, and each member is
 * pinned (a pidfd, its identity compared) the moment it is found, so a PID
 * that changes hands later is never signalled.
 */
import { Clock, Duration, Effect, Option, type Scope } from "effect"
import type { OsError } from "../os/OsError.js"
import type { ProcessHidden } from "./errors.js"
import type { Pid } from "./Pid.js"
import { hasExited, isSameProcess, type ProcessHandle, type ProcessIdentity, type ProcessLineage, Processes } from "./Processes.js"

/** A process of the job, pinned when found; `lineage` is what discovery read about it. */
export interface Member {
  readonly handle: ProcessHandle
  readonly lineage: ProcessLineage
  /** How it was found, for the log. */
  readonly via: string
}

/**
 * A main process that has exited, leaving its job behind (a stale
 * pidfile's): what its zombie's stat says, or what its identity record
 * implies. Discovery needs only its lineage; nothing signals it.
 */
export interface ExitedMain {
  readonly handle?: undefined
  readonly lineage: ProcessLineage
}

export interface Job {
  readonly main: Member | ExitedMain
  /** Never members: sipid itself and whoever started it. */
  readonly excluded: ReadonlyArray<Pid>
  /** Whether a pinned process may be signalled at all (the pidfile owner's rule); false leaves it out, logged. */
  readonly mayStop: (handle: ProcessHandle) => boolean
  /**
   * Set for a main process that has exited and been reaped, whose PID
   * anyone may have taken since: the autogroup its setsid made (see
   * `Processes.autogroup`). A session of its PID's number is its own only
   * for the processes in that autogroup; the others are a stranger's that
   * took over the PID and made a session with it, and are left alone.
   */
  readonly autogroup?: number
}

/** The job whose main process `handle` pins, or none if that process exited (or became a zombie) meanwhile. */
export const jobOf = (
  handle: ProcessHandle,
  rules: Omit<Job, "main">
): Effect.Effect<Option.Option<Job & { readonly main: Member }>, OsError | ProcessHidden, Processes> =>
  Effect.map(
    Effect.flatMap(Processes, (processes) => processes.lineage(handle.identity.pid)),
    Option.flatMap((lineage) =>
      lineage.identity.startTicks === handle.identity.startTicks && !hasExited(lineage)
        ? Option.some({ ...rules, main: { handle, lineage, via: "main" } })
        : Option.none())
  )

export const leadsSession = (lineage: ProcessLineage): boolean => lineage.session === lineage.identity.pid
export const leadsGroup = (lineage: ProcessLineage): boolean => lineage.processGroup === lineage.identity.pid

/**
 * Whether `candidate` may be a member of `main`'s job at all, whatever
 * relates it to the main process: not a kernel thread, not the stopper or
 * its parent, from this boot, and started no earlier than the main process
 * (so nothing that was there before the job, such as its parent shell or
 * init, is ever one; init and PID 0 never get this far, parsePid drops them).
 */
export const mayBeMember = (main: ProcessLineage, candidate: ProcessLineage, excluded: ReadonlyArray<Pid>): boolean =>
  !candidate.kernelThread &&
  !excluded.includes(candidate.identity.pid) &&
  candidate.identity.bootId === main.identity.bootId &&
  candidate.identity.startTicks >= main.identity.startTicks &&
  !hasExited(candidate)

/** Why `candidate`, already read, relates to the job's main process, if it does. */
const relation = (main: ProcessLineage, candidate: ProcessLineage, parent: Member | undefined): string | undefined => {
  // Equivalent mutant, not disabled (the line's other ConditionalExpression mutants are killable): candidate.parent === ...
  // → true; a listed child names its parent unless re-parented, which only that parent's exit does, and whileParentsRun
  // drops what an exited parent listed.
  if (parent !== undefined && candidate.parent === parent.handle.identity.pid) return `child of ${parent.handle.identity.pid}`
  if (leadsSession(main) && candidate.session === main.identity.pid) return `in session ${main.identity.pid}`
  if (leadsGroup(main) && candidate.processGroup === main.identity.pid) return `in process group ${main.identity.pid}`
  return undefined
}

/** A member just pinned, and the member whose children list named it (none for a scan's find). */
interface Pinned {
  readonly member: Member
  readonly parent: Member | undefined
}

interface Candidate {
  readonly pid: Pid
  /** The member whose children list named it; none for a session or group scan. */
  readonly parent: Member | undefined
  readonly lineage?: ProcessLineage
}

const keyOf = (identity: ProcessIdentity) => `${identity.pid}:${identity.startTicks}`

/** Why a process in a reaped main process's session (by its ID) is not the job's. */
const strangersSession = (via: string, main: number, made: number, now: Option.Option<number>) =>
  `${via} but not in autogroup ${made}, which process ${main}'s setsid made (it is in ${
    Option.getOrElse(Option.map(now, String), () => "none")
  }): a session that a stranger made after taking over PID ${main}`

export interface DiscoverOptions {
  /** Also every process of the main process's session or group (a walk over all of /proc: done at the moments that matter, not on every round). */
  readonly scan: boolean
  /**
   * Clock millis at which the look stops reading and returns what it has
   * pinned: a job that grows faster than it can be walked (a fork bomb)
   * cannot hold a stop back. What it leaves, it counts (`unread`).
   */
  readonly until?: number
  /**
   * The start ticks of the moment the look began (`startTicksNow`): past
   * `until`, the processes that had started by then are still walked, and
   * only those started since are left. The job as it stood is finite,
   * however big, so such a look always ends, and what it leaves is only
   * what grew while it walked.
   */
  readonly startedBy?: number
  /**
   * The processes an earlier look of the same stop left alone and said so,
   * as `pid:startTicks`; this one adds those it leaves alone, so that each
   * is logged once however often it is found and judged again.
   */
  readonly leftAlone?: Set<string>
}

export interface Discovery {
  readonly found: ReadonlyArray<Member>
  /**
   * What the look left at its deadline: processes it listed and did not
   * read or pin, and members whose children it did not read. 0 when it
   * finished, having reached every process it could.
   */
  readonly unread: number
}

/**
 * One discovery round: starting from the live members `known` (the main
 * process among them), the processes of the job not known yet, each
 * pinned in the caller's scope.
 */
export const discover = (
  job: Job,
  known: ReadonlyArray<Member>,
  options: DiscoverOptions
): Effect.Effect<Discovery, OsError | ProcessHidden, Processes | Scope.Scope> =>
  Effect.gen(function*() {
    const processes = yield* Processes
    const main = job.main.lineage
    const taken = new Set<number>(known.map((member) => member.handle.identity.pid))
    const found: Array<Member> = []
    const { leftAlone = new Set<string>(), startedBy, until = Infinity } = options
    let unread = 0
    /** Counts a process left unread, as nothing found. */
    const skip = <A>(): Effect.Effect<ReadonlyArray<A>> => Effect.sync(() => (unread++, []))

    /**
     * Whether the look may still read about a process that started at
     * `startTicks`: anything before the deadline; past it, only a process
     * there when the look began ("listed": one in a list read, to be read
     * to tell).
     */
    const inTime = (startTicks: number | "listed") =>
      Effect.map(Clock.currentTimeMillis, (now) =>
        now < until || (startedBy !== undefined && (startTicks === "listed" || startTicks <= startedBy)))

    const childrenOf = (parents: ReadonlyArray<Member>) =>
      Effect.map(
        Effect.forEach(parents, (parent) =>
          Effect.flatMap(inTime(parent.lineage.identity.startTicks), (may) =>
            may
              ? Effect.map(processes.children(parent.handle.identity.pid), (pids) => pids.map((pid): Candidate => ({ pid, parent })))
              : skip<Candidate>())),
        (lists) => lists.flat()
      )

    // Stryker disable ArrayDeclaration: scanned's [] when no scan runs; a string is no candidate: its lineage reads as none, so pin drops it
    const scanned = (): Effect.Effect<ReadonlyArray<Candidate>, OsError | ProcessHidden> =>
      !options.scan || (!leadsSession(main) && !leadsGroup(main))
        ? Effect.succeed([])
        : Effect.flatMap(processes.allPids, (pids) =>
          Effect.map(
            // Stryker disable next-line MethodExpression: the frontier's own taken check drops these PIDs again; this filter only saves reads
            Effect.forEach(pids.filter((pid) => !taken.has(pid)), (pid) =>
              Effect.flatMap(inTime("listed"), (may) =>
                may
                  ? Effect.map(processes.lineage(pid), (lineage) => Option.toArray(Option.map(lineage, (lineage): Candidate => ({ pid, parent: undefined, lineage }))))
                  : skip<Candidate>())),
            (lists) => lists.flat().filter((candidate) => relation(main, candidate.lineage!, undefined) !== undefined)
          ))

    // Stryker restore ArrayDeclaration
    /** Leaves the process `lineage` describes alone; says so, and why, once per stop (each look judges it again). */
    const leave = (lineage: ProcessLineage, why: string) =>
      Effect.suspend(() => {
        const key = keyOf(lineage.identity)
        const logged = leftAlone.has(key)
        leftAlone.add(key)
        return Effect.as(logged ? Effect.void : Effect.logWarning(`process ${lineage.identity.pid} (${lineage.command}) is ${why}; left alone`), [])
      })

    const pin = (candidate: Candidate): Effect.Effect<ReadonlyArray<Pinned>, OsError | ProcessHidden, Scope.Scope> =>
      Effect.gen(function*() {
        if (candidate.lineage === undefined && !(yield* inTime("listed"))) return yield* skip<Pinned>()
        const lineage = candidate.lineage ?? Option.getOrUndefined(yield* processes.lineage(candidate.pid))
        if (lineage === undefined || !mayBeMember(main, lineage, job.excluded)) return []
        const via = relation(main, lineage, candidate.parent)
        // Equivalent mutant, not disabled (→ true is killable): via === undefined → false; a scan's candidates were filtered by
        // relation already, and a listed child relates to its parent (see relation).
        if (via === undefined) return []
        if (!(yield* inTime(lineage.identity.startTicks))) return yield* skip<Pinned>()
        const handle = yield* processes.open(candidate.pid)
        // Pinned, then compared: the PID still names the process that was read.
        if (handle._tag === "Gone" || !isSameProcess(handle.identity, lineage.identity)) return []
        if (!job.mayStop(handle)) return yield* leave(lineage, `${via} but its owner could not signal it`)
        if (candidate.parent === undefined && job.autogroup !== undefined) {
          const autogroup = yield* processes.autogroup(candidate.pid)
          // Read while pinned: had it exited meanwhile, the answer could be a newcomer's.
          if (yield* handle.exited) return []
          if (!Option.contains(autogroup, job.autogroup)) return yield* leave(lineage, strangersSession(via, main.identity.pid, job.autogroup, autogroup))
        }
        return [{ member: { handle, lineage, via }, parent: candidate.parent } satisfies Pinned]
      })

    /**
     * A children list is its parent's only while that parent lives: once it
     * exits, its PID may name a stranger whose children would read as ours.
     * Candidates whose parent exited during the round wait for the next.
     */
    const whileParentsRun = (pinned: ReadonlyArray<Pinned>) =>
      Effect.map(
        processes.exitedAmong([...new Set(pinned.flatMap(({ parent }) => (parent ? [parent.handle] : [])))], Duration.zero),
        (exited) => pinned.filter(({ parent }) => parent === undefined || !exited.includes(parent.handle)).map(({ member }) => member)
      )

    /**
     * Whether the main process's session and group are still the job's. A
     * session or group outlives its leader, and its ID (the main process's
     * PID) stays reserved while any process is in it; once it empties, the
     * kernel may give that PID to a stranger, who may make a session or
     * group of its own with it. So a scan's findings count only while that
     * PID names the main process (alive or a zombie) or nobody, read after
     * they were pinned.
     */
    const stillTheJobs = Effect.map(
      processes.lineage(main.identity.pid),
      Option.match({ onNone: () => true, onSome: (now) => isSameProcess(now.identity, main.identity) })
    )

    /** Drops what a session or group scan found if the session or group has changed hands. */
    const whileTheJobs = (pinned: ReadonlyArray<Pinned>) =>
      // A callback answering undefined, or parent !== undefined → false, makes every() false: the session check then also
      // runs for a round of children alone, and keeps every child. Only the first can be disabled: → true is killable.
      // Stryker disable next-line ArrowFunction: see above
      pinned.every(({ parent }) => parent !== undefined)
        ? Effect.succeed(pinned)
        : Effect.map(stillTheJobs, (held) => (held ? pinned : pinned.filter(({ parent }) => parent !== undefined)))

    let frontier: ReadonlyArray<Candidate> = [...yield* childrenOf(known), ...yield* scanned()]
    while (frontier.length > 0) {
      // A child in the main process's session is found twice: keep the first (closest) finding.
      const fresh = frontier.filter((candidate) => !taken.has(candidate.pid) && taken.add(candidate.pid))
      const pinned = (yield* Effect.forEach(fresh, pin)).flat()
      const members = yield* whileParentsRun(yield* whileTheJobs(pinned))
      found.push(...members)
      frontier = yield* childrenOf(members)
    }
    return { found, unread }
  })
