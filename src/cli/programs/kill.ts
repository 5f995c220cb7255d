/** `sipid kill`: the schedule from --grace, --show-stacks or --retry, and --tree's options, then the library's kill. */
import { Duration, Effect, Either, Option } from "effect"
import { UsageError } from "../UsageError.js"
import { kill } from "../../pidfile/kill.js"
import { type JobStopOptions, longestJobWait } from "../../process/stopJob.js"
import { defaultSchedule, parseStopSchedule, type StopSchedule, totalWait } from "../../process/stopSchedule.js"
import { SipidLive } from "../../SipidLive.js"
import { formatGoDuration } from "../../time/goDuration.js"
import type * as Commands from "../commands.js"
import type { Values } from "../spec.js"

/** `--tree-grace` only means something with `--tree`. */
const chooseTree = (options: { readonly tree: boolean; readonly treeGrace: Option.Option<Duration.Duration> }): Either.Either<JobStopOptions | undefined, UsageError> =>
  options.tree
    ? Either.right(Option.match(options.treeGrace, { onNone: () => ({}), onSome: (grace) => ({ grace }) }))
    : Option.isSome(options.treeGrace)
    ? Either.left(new UsageError({ detail: "--tree-grace applies only with --tree" }))
    : Either.right(undefined)

/** `--retry` is the full schedule, so the options that tweak the default one cannot apply to it. */
const chooseSchedule = (options: {
  readonly showStacks: boolean
  readonly grace: Option.Option<Duration.Duration>
  readonly retry: Option.Option<string>
}): Either.Either<StopSchedule, UsageError> =>
  Option.match(options.retry, {
    onNone: () =>
      Either.right(
        Option.match(options.grace, {
          onNone: () => defaultSchedule({ showStacks: options.showStacks }),
          onSome: (grace) => defaultSchedule({ showStacks: options.showStacks, grace })
        })
      ),
    onSome: (text) =>
      options.showStacks || Option.isSome(options.grace)
        ? Either.left(new UsageError({ detail: "--retry gives the whole schedule; put QUIT and the grace period in it instead of --show-stacks or --grace" }))
        : Either.mapLeft(parseStopSchedule(text), (error) => new UsageError({ detail: `--retry: ${error.message}` }))
  })

/** monit gives a stop program 30 s by default, then SIGTERMs it: sipid would stop early (exit 143). */
const monitStopTimeout = Duration.seconds(30)

/** A long grace is the job author's call, not a mistake: warn, do not refuse. */
const warnIfPastMonitTimeout = (schedule: StopSchedule, tree: JobStopOptions | undefined) => {
  const longest = tree === undefined ? totalWait(schedule.steps) : longestJobWait(schedule, tree)
  return Effect.when(
    Effect.logWarning(
      `the schedule may wait ${formatGoDuration(longest)}, past monit's default stop timeout (${formatGoDuration(monitStopTimeout)}): ` +
        "monit may stop sipid first; give the job's stop program a longer timeout (with timeout N seconds) or shorten the schedule"
    ),
    () => Duration.greaterThan(longest, monitStopTimeout)
  )
}

export const program = (options: Values<typeof Commands.kill.options>) =>
  Effect.gen(function*() {
    const schedule = yield* chooseSchedule(options)
    const job = yield* chooseTree(options)
    yield* warnIfPastMonitTimeout(schedule, job)
    yield* kill({ path: options.pidFile, schedule, ...(job && { tree: job }) })
  }).pipe(Effect.provide(SipidLive))
