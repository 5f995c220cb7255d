/**
 * `kill --tree`: stops a whole job the way systemd's `KillMode=mixed` does.
 * The schedule's signals before SIGKILL go to the main process alone (a
 * master stops its own workers); SIGKILL goes to every member still alive.
 * When the main process exits first, the members left get SIGTERM, a short
 * grace, then SIGKILL. Members are looked for again while the schedule runs
 * (a master may fork during its shutdown) and once more after the main
 * process exits (orphans keep its session or group).
 */
import { Clock, Data, Duration, Effect, Fiber, Option, type Scope } from "effect"
import type { OsError } from "../os/OsError.js"
import type { ProcessHidden } from "./errors.js"
import { formatGoDuration } from "../time/goDuration.js"
import { hasExited, type JobProcess, jobProcessOf, type ProcessHandle, Processes, type SignalName } from "./Processes.js"
import { runStopSchedule, ScheduleOutcome } from "./runStopSchedule.js"
import { sendsKill, type StopSchedule, totalWait } from "./stopSchedule.js"
import { discover, type Job, leadsGroup, leadsSession, type Member } from "./tree.js"

/**
 * How a stop of the whole job (`tree`) runs, beyond its schedule.
 * @since 0.2.0
 * @category options
 */
export interface JobStopOptions {
  /** When the main process exits before SIGKILL: how long the rest get after SIGTERM. Default 2 s. */
  readonly grace?: Duration.DurationInput
  /**
   * How often to check whether any process was created since the last look
   * (one read of /proc/loadavg); default 250 ms. Only then is the job walked
   * again (each member's children: ~2-5 ms of CPU for 50 processes), and
   * after a walk the next check waits `walkPause` more, so a machine that
   * forks all the time costs a walk a second, not four.
   */
  readonly rediscoverEvery?: Duration.DurationInput
  /** Default 1 s. */
  readonly walkPause?: Duration.DurationInput
}

/** After the members' SIGKILL, how long they get to go (a process in D state takes a while). */
export const memberKillWait = Duration.seconds(5)
export const defaultTreeGrace = Duration.seconds(2)
/**
 * The longest one look at the job may walk it (the first, before SIGTERM,
 * and each while the schedule runs). The first walks on past it through
 * what was there when it began (a job too big to walk in a second), and
 * only what was created since is left to later looks. A 1000-process job
 * takes ~0.6-0.75 s on a busy 2-core machine (measured).
 */
export const lookLimit = Duration.seconds(1)
/** The last look, once every member is gone: half of it to walk, the rest for what it finds to go after SIGKILL. */
export const lastLookWait = Duration.seconds(1)

/**
 * The longest `stopJob` can take, once through the schedule: the first
 * look, then all of the schedule's waits, or, when the main process exits
 * just before SIGKILL (or while SIGKILL is sent to the members), the waits
 * before it, the members' grace (the look for orphans runs inside it) and
 * their SIGKILL wait; then the last look (TERM/20/KILL/5: 1 + 20 + 2 + 5 +
 * 1 = 29 s). A job that takes more than a second to walk adds what its
 * first look takes beyond that (logged), since it is found whole before
 * the first signal.
 */
export const longestJobWait = (schedule: StopSchedule, options: JobStopOptions = {}): Duration.Duration => {
  const firstKill = schedule.steps.findIndex(sendsKill)
  const beforeKill = totalWait(firstKill < 0 ? schedule.steps : schedule.steps.slice(0, firstKill))
  const mainExitsFirst = Duration.sum(beforeKill, Duration.sum(Duration.decode(options.grace ?? defaultTreeGrace), memberKillWait))
  return Duration.sum(Duration.sum(lookLimit, lastLookWait), Duration.max(totalWait(schedule.steps), mainExitsFirst))
}

/** What the first or the last look left unread, which no complete scan made up for: the job was not seen whole. */
export interface UnreadLook {
  /** Which look: "the first look" or "the last look". */
  readonly look: string
  /** What it left: "stopped at its deadline with 12 process(es) unread". */
  readonly left: string
}

interface Survivors {
  readonly after: Duration.Duration
  /** Whether SIGKILL went to every member: only then is an uninterruptible sleep (D state) the likely cause. */
  readonly sentKill: boolean
  readonly survivors: ReadonlyArray<JobProcess>
}

export type JobOutcome = Data.TaggedEnum<{
  /** Every process of the job exited `after` the stop started. */
  Exited: { readonly after: Duration.Duration }
  /** The stop ended with `survivors` (the main process first, when it is one) still alive. */
  Survived: Survivors
  /** Everything found is gone but the survivors listed, but a look left processes unread: no success for a job not seen whole. */
  Unseen: Survivors & { readonly unseen: UnreadLook }
}>

export const JobOutcome = Data.taggedEnum<JobOutcome>()

/**
 * The looks at a job. The first (before any signal: the job as it stood)
 * and the last (before success) must finish; those between (while the
 * schedule runs, and for orphans once the main process exited) find what
 * was created meanwhile as best they can, racing the exits the signals
 * cause, and what one leaves the next looks for.
 */
type LookKind = "first" | "during" | "orphans" | "last"

export const stopJob = (
  job: Job,
  schedule: StopSchedule,
  options: JobStopOptions = {}
): Effect.Effect<JobOutcome, OsError | ProcessHidden, Processes | Scope.Scope> =>
  Effect.gen(function*() {
    const processes = yield* Processes
    const main = job.main
    const mainPid = main.lineage.identity.pid
    const started = yield* Clock.currentTimeMillis
    const elapsed = Effect.map(Clock.currentTimeMillis, (now) => Duration.millis(now - started))
    const members: Array<Member> = main.handle === undefined ? [] : [main]
    const exited = new Set<ProcessHandle>()
    /** The last signal every member got; members found later get it too. */
    let broadcast: SignalName | undefined
    /** When SIGKILL last went to every member: they have memberKillWait from then to go. */
    let killedAt = 0
    // Discovery and broadcasts take turns: a member found mid-broadcast gets the signal once.
    const turn = yield* Effect.makeSemaphore(1)
    /** Processes left alone, logged once for the whole stop. */
    const leftAlone = new Set<string>()
    /**
     * What the first or the last look left unread. A complete scan of the
     * session or group the main process leads makes up for it (whatever is
     * still the job's is in them); without one, nothing can: an unread
     * process re-parented to init relates to the job no more.
     */
    let unseen: UnreadLook | undefined
    const scanMakesUp = leadsSession(main.lineage) || leadsGroup(main.lineage)

    const live = () => members.filter((member) => !exited.has(member.handle))
    const others = () => live().filter((member) => member !== main)
    const pids = (list: ReadonlyArray<Member>) => list.map((member) => member.handle.identity.pid).join(", ")

    const markExited = (handles: ReadonlyArray<ProcessHandle>) =>
      Effect.forEach(members.filter((member) => handles.includes(member.handle) && !exited.has(member.handle)), (member) => {
        exited.add(member.handle)
        // The main process's exit is logged by the schedule.
        return member === main ? Effect.void : Effect.flatMap(elapsed, (after) =>
          Effect.logInfo(`process ${member.handle.identity.pid} (${member.lineage.command}) exited after ${formatGoDuration(Duration.toMillis(after))}`))
      })

    const send = (targets: ReadonlyArray<Member>, signal: SignalName) =>
      targets.length === 0 ? Effect.void : Effect.forEach(targets, (member) => member.handle.signal(signal)).pipe(
        Effect.zipRight(Effect.logInfo(`sent ${signal} to ${targets.length} other process(es) of the job: ${pids(targets)}`))
      )

    /** `first`: the first look, whose count is logged even when it found none. Whole or not at all: each found member gets the broadcast. */
    const adopt = (found: ReadonlyArray<Member>, first: boolean) =>
      Effect.uninterruptible(Effect.gen(function*() {
        members.push(...found)
        if (found.length > 0 || first) {
          const list = found.length > 0 ? `: ${pids(found)}` : ""
          yield* Effect.logInfo(`found ${found.length} ${first ? "" : "more "}process(es) in process ${mainPid}'s job${list}`)
        }
        const byIdentity = found.filter((member) => member.handle.pinnedBy === "Identity").length
        if (byIdentity > 0) {
          yield* Effect.logInfo(`${byIdentity} of them pinned by start time alone (past the pidfd budget): each is checked before a signal, its exit read from /proc`)
        }
        for (const member of found) {
          yield* Effect.logDebug(`job member ${member.handle.identity.pid} (${member.lineage.command}), ${member.via}`)
        }
        if (broadcast !== undefined) yield* send(found, broadcast)
      }))

    /**
     * Walks the job until `until` (Clock millis; by default one `lookLimit`
     * from now), then adopts what it found; how many processes it left
     * unread. One walk at a time: the looks made here run only while the
     * rediscovery fiber is stopped. The walk holds no turn, so a broadcast
     * never waits for it.
     */
    const look = (kind: LookKind, until?: number) =>
      Effect.gen(function*() {
        const began = yield* Clock.currentTimeMillis
        const scan = kind !== "during"
        // The first look finds the job whole, however big, before anything is sent.
        const startedBy = kind === "first" ? yield* processes.startTicksNow : undefined
        yield* markExited(yield* processes.exitedAmong(live().map((member) => member.handle), Duration.zero))
        const { found, unread } = yield* discover(job, live(), {
          scan,
          until: until ?? began + Duration.toMillis(lookLimit),
          leftAlone,
          // Stryker disable next-line ConditionalExpression: spreading { startedBy: undefined } gives discover the undefined it reads when the key is absent
          ...(startedBy !== undefined && { startedBy })
        })
        yield* turn.withPermits(1)(adopt(found, kind === "first"))
        const took = (yield* Clock.currentTimeMillis) - began
        if (kind === "first" && took > Duration.toMillis(lookLimit)) {
          yield* Effect.logInfo(
            `the first look took ${formatGoDuration(took)}, past its ${formatGoDuration(lookLimit)}, walking the job as it stood: the stop may take that much longer than its worst case`
          )
        }
        if (unread > 0 && (kind === "first" || kind === "last")) {
          unseen ??= { look: `the ${kind} look`, left: `stopped at its deadline with ${unread} process(es) unread` }
        } else if (unread === 0 && scan && scanMakesUp) unseen = undefined
        return unread
      })

    const sendAll = (signal: SignalName) =>
      turn.withPermits(1)(Effect.gen(function*() {
        broadcast = signal
        // Equivalent mutant, not disabled (the others on this line are killable): signal === "SIGKILL" → true; killedAt is read only
        // once SIGKILL went to all, and no SIGTERM broadcast follows that one, so SIGKILL's time is always the last written.
        if (signal === "SIGKILL") killedAt = yield* Clock.currentTimeMillis
        yield* send(others(), signal)
      }))

    /** Waits up to `timeout` for every member to exit; true when none is left. */
    const awaitAll = (timeout: Duration.Duration) =>
      Effect.gen(function*() {
        const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(timeout)
        while (live().length > 0) {
          const remaining = deadline - (yield* Clock.currentTimeMillis)
          if (remaining <= 0) return false
          yield* markExited(yield* processes.exitedAmong(live().map((member) => member.handle), Duration.millis(remaining)))
        }
        return true
      })

    /**
     * The members still running, each checked through its pin and read for
     * its state; the others are marked (and logged) as exited. Nothing is
     * reported alive that has been seen to exit.
     */
    const stillRunning = Effect.gen(function*() {
      const checked = yield* Effect.forEach(live(), (member) =>
        Effect.gen(function*() {
          const { pid, startTicks } = member.handle.identity
          const now = (yield* member.handle.exited) ? Option.none() : yield* processes.lineage(pid)
          return { member, now: Option.filter(now, (lineage) => lineage.identity.startTicks === startTicks && !hasExited(lineage)) }
        }))
      yield* markExited(checked.filter(({ now }) => Option.isNone(now)).map(({ member }) => member.handle))
      return checked.flatMap(({ now }) => Option.toArray(Option.map(now, jobProcessOf)))
    })

    const lookFailed = (error: OsError | ProcessHidden) => Effect.logWarning(`looking for new processes of the job failed: ${error.message}`)

    const rediscovering = Effect.fork(rediscover(
      Effect.catchAll(look("during"), (error) => Effect.as(lookFailed(error), 1)),
      options.rediscoverEvery ?? Duration.millis(250),
      options.walkPause ?? Duration.seconds(1),
      lookFailed
    ))
    // The first look, while the tree is intact (before SIGTERM).
    yield* look("first")
    let rediscovery = yield* rediscovering

    // The schedule runs on the main process as ever, through a handle that
    // widens SIGKILL to every member and, once that was sent, waits for all.
    const wholeJob = (handle: ProcessHandle): ProcessHandle => ({
      ...handle,
      signal: (signal) => signal === "SIGKILL" ? Effect.zipRight(sendAll(signal), handle.signal(signal)) : handle.signal(signal),
      // One poll for the whole wait, not the handle's 100 ms slices: waiting costs no CPU.
      awaitExit: Effect.suspend(() =>
        Effect.zipRight(
          processes.exitedAmong([handle], Duration.infinity),
          broadcast === "SIGKILL" ? Effect.asVoid(awaitAll(Duration.infinity)) : Effect.void
        ))
    })
    // A main process that has already exited (a stale pidfile's) leaves its members to the steps after its exit.
    // Stryker disable ObjectLiteral: only the stand-in outcome's tag is read; the job's own elapsed time is reported
    const outcome = main.handle === undefined
      ? ScheduleOutcome.Exited({ after: Duration.zero })
      : yield* runStopSchedule(wholeJob(main.handle), schedule)
    // Stryker restore ObjectLiteral
    if (outcome._tag === "Exited" && broadcast === "SIGKILL") {
      // The main process may exit while SIGKILL goes to the members (a
      // supervisor whose wait for them returned), before the schedule's
      // wait: they still get theirs.
      yield* awaitAll(Duration.millis(killedAt + Duration.toMillis(memberKillWait) - (yield* Clock.currentTimeMillis)))
    } else if (outcome._tag === "Exited") {
      const graceEnds = (yield* Clock.currentTimeMillis) + Duration.toMillis(Duration.decode(options.grace ?? defaultTreeGrace))
      yield* sendAll("SIGTERM")
      // Orphans keep the session and group: look for them now, within the
      // grace (what it finds gets SIGTERM at once), the rediscovery paused.
      yield* Fiber.interrupt(rediscovery)
      yield* look("orphans", graceEnds)
      rediscovery = yield* rediscovering
      if (!(yield* awaitAll(Duration.millis(graceEnds - (yield* Clock.currentTimeMillis))))) {
        yield* sendAll("SIGKILL")
        yield* awaitAll(memberKillWait)
      }
    }
    yield* Fiber.interrupt(rediscovery)
    if ((yield* stillRunning).length === 0) {
      // A member may have started another on its way out (a TERM handler
      // that forks a helper, then exits): one last look before success, and
      // SIGKILL for what it finds (nothing is sent when it finds none), since
      // the job's stop is over; it got SIGKILL when adopted if that went to
      // all already. Half of lastLookWait to walk, the rest for what it
      // found to go.
      const lastEnds = (yield* Clock.currentTimeMillis) + Duration.toMillis(lastLookWait)
      yield* look("last", lastEnds - Duration.toMillis(lastLookWait) / 2)
      if (broadcast !== "SIGKILL") yield* sendAll("SIGKILL")
      yield* awaitAll(Duration.millis(lastEnds - (yield* Clock.currentTimeMillis)))
    }
    const survivors = yield* stillRunning
    const after = yield* elapsed
    // The schedule's own SIGKILL went through wholeJob, which broadcast it.
    const sentKill = broadcast === "SIGKILL"
    if (unseen !== undefined) return JobOutcome.Unseen({ after, sentKill, survivors, unseen })
    if (survivors.length === 0) return JobOutcome.Exited({ after })
    return JobOutcome.Survived({ after, sentKill, survivors })
  })

/**
 * Looks again whenever a process was created since the last look: while
 * the newest PID stays the same, no process can have joined the job. A look
 * that left processes unread (or failed) goes on at the next round anyway.
 */
const rediscover = <R>(
  look: Effect.Effect<number, never, R>,
  every: Duration.DurationInput,
  walkPause: Duration.DurationInput,
  failed: (error: OsError) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    const processes = yield* Processes
    let seen = yield* processes.newestPid
    let unfinished = false
    const round = Effect.gen(function*() {
      seen = yield* (unfinished ? processes.newestPid : processes.newestPidAfter(seen, Duration.decode(every)))
      unfinished = (yield* look) > 0
    }).pipe(Effect.catchAll(failed))
    // The pause also spaces out retries after a failure.
    yield* Effect.forever(Effect.zipRight(round, Effect.sleep(walkPause)))
  }).pipe(Effect.catchAll(failed))
