/**
 * `kill --tree`: stops a whole job the way systemd's `KillMode=mixed` does.
 * The schedule's signals before SIGKILL go to the main process alone (a
 * master stops its own workers); SIGKILL goes to every member still alive.
 * When the main process exits first, the members left get SIGTERM, a short
 * grace, then SIGKILL. Members are looked for again while the schedule runs
 * (a master may fork during its shutdown) and once more after the main
 * process exits (orphans keep its session or group).
 */
import { Clock, Duration, Effect, Fiber, Option, type Scope } from "effect"
import type { ProcessHidden, SystemError } from "../errors.js"
import { formatGoDuration } from "../time/goDuration.js"
import { type ProcessHandle, Processes, type SignalName } from "./Processes.js"
import { runStopSchedule, StopOutcome } from "./runStopSchedule.js"
import type { StopSchedule } from "./stopSchedule.js"
import { discover, type Job, type Member } from "./tree.js"

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
 * and each while the schedule runs); what it has not reached by then, a
 * later look finds. A 1000-process job takes ~0.1-0.3 s (measured).
 */
export const lookLimit = Duration.seconds(1)
/** The last look, once every member is gone: half of it to walk, the rest for what it finds to go after SIGKILL. */
export const lastLookWait = Duration.seconds(1)

const waits = (steps: StopSchedule["steps"]) =>
  steps.reduce((total, step) => (step._tag === "Wait" ? Duration.sum(total, step.timeout) : total), Duration.zero)

/**
 * The longest `stopJob` can take, once through the schedule: the first
 * look, then all of the schedule's waits, or, when the main process exits
 * just before SIGKILL, the waits before it, the members' grace (the look
 * for orphans runs inside it) and their SIGKILL wait; then the last look
 * (TERM/20/KILL/5: 1 + 20 + 2 + 5 + 1 = 29 s).
 */
export const longestJobWait = (schedule: StopSchedule, options: JobStopOptions = {}): Duration.Duration => {
  const firstKill = schedule.steps.findIndex((step) => step._tag === "Signal" && step.signal === "SIGKILL")
  const beforeKill = waits(firstKill < 0 ? schedule.steps : schedule.steps.slice(0, firstKill))
  const mainExitsFirst = Duration.sum(beforeKill, Duration.sum(Duration.decode(options.grace ?? defaultTreeGrace), memberKillWait))
  return Duration.sum(Duration.sum(lookLimit, lastLookWait), Duration.max(waits(schedule.steps), mainExitsFirst))
}

/** A member still alive at the end, as the error names it. */
export interface Survivor {
  readonly pid: number
  readonly command: string
  /** /proc/PID/stat's state letter: D is an uninterruptible sleep that even SIGKILL waits for. */
  readonly state: string
}

export type JobOutcome =
  | Extract<StopOutcome, { _tag: "Exited" }>
  | (Extract<StopOutcome, { _tag: "Survived" }> & { readonly survivors: ReadonlyArray<Survivor> })

export const stopJob = (
  job: Job,
  schedule: StopSchedule,
  options: JobStopOptions = {}
): Effect.Effect<JobOutcome, SystemError | ProcessHidden, Processes | Scope.Scope> =>
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
    // Discovery and broadcasts take turns: a member found mid-broadcast gets the signal once.
    const turn = yield* Effect.makeSemaphore(1)

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
     * from now), then adopts what it found. One walk at a time: the looks
     * made here run only while the rediscovery fiber is stopped. The walk
     * holds no turn, so a broadcast never waits for it.
     */
    const look = (scan: boolean, options: { readonly first?: boolean; readonly until?: number } = {}) =>
      Effect.gen(function*() {
        const until = options.until ?? (yield* Clock.currentTimeMillis) + Duration.toMillis(lookLimit)
        yield* markExited(yield* processes.exitedAmong(live().map((member) => member.handle), Duration.zero))
        const found = yield* discover(job, live(), { scan, until })
        yield* turn.withPermits(1)(adopt(found, options.first ?? false))
      })

    const sendAll = (signal: SignalName) =>
      turn.withPermits(1)(Effect.suspend(() => {
        broadcast = signal
        return send(others(), signal)
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

    const rediscovering = Effect.fork(
      rediscover(look, options.rediscoverEvery ?? Duration.millis(250), options.walkPause ?? Duration.seconds(1))
    )
    // The first look, while the tree is intact (before SIGTERM); a job too big or too busy to walk within lookLimit is found further by the next looks.
    yield* look(true, { first: true })
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
    const outcome = main.handle === undefined
      ? StopOutcome.Exited({ after: Duration.zero })
      : yield* runStopSchedule(wholeJob(main.handle), schedule)
    // After SIGKILL every member is gone already (the schedule waited for all): the last look finds what is left.
    if (outcome._tag === "Exited" && broadcast !== "SIGKILL") {
      const graceEnds = (yield* Clock.currentTimeMillis) + Duration.toMillis(Duration.decode(options.grace ?? defaultTreeGrace))
      yield* sendAll("SIGTERM")
      // Orphans keep the session and group: look for them now, within the
      // grace (what it finds gets SIGTERM at once), the rediscovery paused.
      yield* Fiber.interrupt(rediscovery)
      yield* look(true, { until: graceEnds })
      rediscovery = yield* rediscovering
      if (!(yield* awaitAll(Duration.millis(graceEnds - (yield* Clock.currentTimeMillis))))) {
        yield* sendAll("SIGKILL")
        yield* awaitAll(memberKillWait)
      }
    }
    yield* Fiber.interrupt(rediscovery)
    yield* markExited(yield* processes.exitedAmong(live().map((member) => member.handle), Duration.zero))
    if (live().length === 0) {
      // A member may have started another on its way out (a TERM handler
      // that forks a helper, then exits): one last look before success, and
      // SIGKILL for what it finds (nothing is sent when it finds none), since
      // the job's stop is over. Half of lastLookWait to walk, the rest for
      // what it found to go.
      const lastEnds = (yield* Clock.currentTimeMillis) + Duration.toMillis(lastLookWait)
      yield* look(true, { until: lastEnds - Duration.toMillis(lastLookWait) / 2 })
      yield* sendAll("SIGKILL")
      yield* awaitAll(Duration.millis(lastEnds - (yield* Clock.currentTimeMillis)))
    }
    const after = yield* elapsed
    if (live().length === 0) return { _tag: "Exited", after } as const
    // The schedule's own SIGKILL went through wholeJob, which broadcast it.
    return { _tag: "Survived", after, sentKill: broadcast === "SIGKILL", survivors: yield* describe(live()) } as const
  })

/**
 * Looks again whenever a process was created since the last look: while
 * the newest PID stays the same, no process can have joined the job.
 */
const rediscover = <R>(
  look: (scan: boolean) => Effect.Effect<void, SystemError | ProcessHidden, R>,
  every: Duration.DurationInput,
  walkPause: Duration.DurationInput
) =>
  Effect.gen(function*() {
    const processes = yield* Processes
    let seen = yield* processes.newestPid
    const round = Effect.gen(function*() {
      seen = yield* processes.newestPidAfter(seen, Duration.decode(every))
      yield* look(false)
    }).pipe(Effect.catchAll((error) => Effect.logWarning(`looking for new processes of the job failed: ${error.message}`)))
    // The pause also spaces out retries after a failure.
    yield* Effect.forever(Effect.zipRight(round, Effect.sleep(walkPause)))
  }).pipe(Effect.catchAll((error) => Effect.logWarning(`looking for new processes of the job failed: ${error.message}`)))

/** The survivors' state now, each checked to be the member (a process that took over a PID is not described). */
const describe = (survivors: ReadonlyArray<Member>) =>
  Effect.flatMap(Processes, (processes) =>
    Effect.forEach(survivors, (member) =>
      Effect.map(processes.lineage(member.handle.identity.pid), (now): Survivor => ({
        pid: member.handle.identity.pid,
        command: member.lineage.command,
        state: Option.match(now, {
          onNone: () => "?",
          onSome: (lineage) => (lineage.identity.startTicks === member.handle.identity.startTicks ? lineage.state : "?")
        })
      }))))
