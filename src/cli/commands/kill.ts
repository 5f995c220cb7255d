import { Command, Options } from "@effect/cli"
import { type Duration, Effect, Either, Option } from "effect"
import { UsageError } from "../../errors.js"
import { kill } from "../../pidfile/kill.js"
import type { JobStopOptions } from "../../process/stopJob.js"
import { defaultSchedule, parseStopSchedule, type StopSchedule } from "../../process/stopSchedule.js"
import { SipidLive } from "../../SipidLive.js"
import { runCommand } from "../runCommand.js"
import { goDuration, logFormat, pidFile } from "../sharedOptions.js"

const showStacks = Options.boolean("show-stacks").pipe(
  Options.withDescription("After the grace period, send SIGQUIT (Go, the JVM and Python's faulthandler print every thread's stack) and wait up to 2s before SIGKILL")
)

const grace = goDuration("grace").pipe(
  Options.optional,
  Options.withDescription("How long to wait for the process to exit after SIGTERM (default 20s)")
)

const retry = Options.text("retry").pipe(
  Options.withPseudoName("SCHEDULE"),
  Options.optional,
  Options.withDescription(
    "The whole schedule in start-stop-daemon's --retry syntax, e.g. TERM/20/QUIT/2/KILL/5 or 10 (TERM/10/KILL/10); excludes --grace and --show-stacks"
  )
)

const tree = Options.boolean("tree").pipe(
  Options.withDescription(
    "Stop the whole job: the process's descendants and, if it leads its session or process group, their other processes. Signals before SIGKILL go to the process alone, SIGKILL to all (as systemd's KillMode=mixed)"
  )
)

const treeGrace = goDuration("tree-grace").pipe(
  Options.optional,
  Options.withDescription("With --tree, when the process exits before SIGKILL: how long the rest of the job gets after SIGTERM before SIGKILL (default 2s)")
)

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
        : Either.mapLeft(parseStopSchedule(text), (reason) => new UsageError({ detail: `--retry: ${reason}` }))
  })

export const killCommand = Command.make("kill", { pidFile, showStacks, grace, retry, tree, treeGrace, logFormat }, (options) =>
  runCommand(
    { command: "kill", pidfile: options.pidFile, logFormat: options.logFormat },
    Effect.gen(function*() {
      const schedule = yield* chooseSchedule(options)
      const job = yield* chooseTree(options)
      yield* kill({ path: options.pidFile, schedule, ...(job && { tree: job }) })
    }).pipe(Effect.provide(SipidLive))
  )).pipe(
    Command.withDescription(
      "Stop the process the pidfile names: SIGTERM, wait, (SIGQUIT, wait,) SIGKILL, wait; then remove the pidfile. No pidfile, or a stale one, is success."
    )
  )
