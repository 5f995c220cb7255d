import { Command, Options } from "@effect/cli"
import { type Duration, Effect, Either, Option } from "effect"
import { UsageError } from "../../errors.js"
import { kill } from "../../pidfile/kill.js"
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

export const killCommand = Command.make("kill", { pidFile, showStacks, grace, retry, logFormat }, (options) =>
  runCommand(
    { command: "kill", pidfile: options.pidFile, logFormat: options.logFormat },
    Effect.gen(function*() {
      const schedule = yield* chooseSchedule(options)
      yield* kill({ path: options.pidFile, schedule })
    }).pipe(Effect.provide(SipidLive))
  )).pipe(
    Command.withDescription(
      "Stop the process the pidfile names: SIGTERM, wait, (SIGQUIT, wait,) SIGKILL, wait; then remove the pidfile. No pidfile, or a stale one, is success."
    )
  )
