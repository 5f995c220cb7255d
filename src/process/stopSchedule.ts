/**
 * How `kill` stops a process, as data: signals to send and waits for the
 * process to exit, in order, optionally repeating a tail forever. The text
 * form is start-stop-daemon's `--retry` grammar, parsed by a pure function.
 */
import { Data, Duration, Either } from "effect"
import { constants } from "node:os"
import { InvalidStopSchedule } from "./errors.js"
import type { SignalName } from "./Processes.js"

/**
 * @since 0.1.0
 * @category stop schedules
 */
export type StopStep = Data.TaggedEnum<{
  Signal: { readonly signal: SignalName }
  /** Wait up to `timeout` for the process to exit; the schedule ends early when it does. */
  Wait: { readonly timeout: Duration.Duration }
}>

export const StopStep = Data.taggedEnum<StopStep>()

/**
 * @since 0.1.0
 * @category stop schedules
 */
export interface StopSchedule {
  readonly steps: ReadonlyArray<StopStep>
  /** Index of the first step repeated after the last (start-stop-daemon's `forever`), if any. */
  readonly repeatFrom?: number
}

/**
 * @since 0.1.0
 * @category stop schedules
 */
export const signal = (signal: SignalName): StopStep => StopStep.Signal({ signal })
/**
 * @since 0.1.0
 * @category stop schedules
 */
export const wait = (timeout: Duration.DurationInput): StopStep => StopStep.Wait({ timeout: Duration.decode(timeout) })

/**
 * What the steps' waits add up to: the longest they can take, once through.
 * @since 0.2.0
 * @category utils
 */
export const totalWait = (steps: ReadonlyArray<StopStep>): Duration.Duration =>
  steps.reduce((total, step) => (step._tag === "Wait" ? Duration.sum(total, step.timeout) : total), Duration.zero)

/**
 * Whether the step sends SIGKILL, the one signal no process can catch or ignore.
 * @since 0.2.0
 * @category utils
 */
export const sendsKill = (step: StopStep): boolean =>
  // Equivalent mutant, not disabled (the line's other ConditionalExpression mutants are killable): step._tag === "Signal"
  // → true; a wait has no signal, so the name alone decides.
  step._tag === "Signal" && step.signal === "SIGKILL"

/**
 * The signals a stop schedule may send. Signal 0 and job-control signals stop nothing.
 * @since 0.1.0
 * @category utils
 */
export const stopSignals: ReadonlyArray<SignalName> = ["SIGTERM", "SIGQUIT", "SIGKILL", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGABRT"]

/**
 * sipid's default: SIGTERM, up to `grace` (20 s) to exit; with
 * `showStacks`, SIGQUIT (runtimes print every thread's stack) and up to 2 s;
 * then SIGKILL and up to 5 s, for a process in D state. 27 s at worst, under
 * monit's 30 s stop timeout.
 * @since 0.1.0
 * @category stop schedules
 */
export const defaultSchedule = (options: { readonly grace?: Duration.DurationInput; readonly showStacks?: boolean } = {}): StopSchedule => ({
  steps: [
    signal("SIGTERM"),
    wait(options.grace ?? Duration.seconds(20)),
    ...(options.showStacks ? [signal("SIGQUIT"), wait(Duration.seconds(2))] : []),
    signal("SIGKILL"),
    wait(Duration.seconds(5))
  ]
})

const seconds = /^[0-9]{1,9}$/

/** `-15` (a bare number is a timeout), `TERM`, `-TERM`, `SIGTERM`, `sigterm`. */
const parseSignal = (item: string): SignalName | undefined => {
  // Equivalent mutants, not disabled (the regex's other mutants are killable): dropping ^ or $; an item such as x-9 or -9x
  // is neither a signal number nor a name either way.
  if (/^-[0-9]{1,2}$/.test(item)) return stopSignals.find((name) => constants.signals[name] === -Number(item))
  const upper = item.replace(/^-/, "").toUpperCase()
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`
  return stopSignals.find((candidate) => candidate === name)
}

const invalid = (input: string, reason: string) => Either.left(new InvalidStopSchedule({ input, reason }))

/**
 * Parses start-stop-daemon's `--retry` grammar: `/`-separated items, each a
 * signal (`TERM`, `-TERM`, `SIGTERM`, or a number with a dash: `-15`), a
 * timeout in whole seconds, or `forever`
 * (repeat the items after it until the process exits; at most once, never
 * last). A bare number `N` means `TERM/N/KILL/N`.
 *
 * sipid adds two rules start-stop-daemon lacks: the schedule must end with a
 * timeout (otherwise the last signal's outcome is never observed), and a
 * repeated part must wait (otherwise it spins sending signals).
 * @since 0.1.0
 * @category parsers
 */
export const parseStopSchedule = (text: string): Either.Either<StopSchedule, InvalidStopSchedule> => {
  if (seconds.test(text)) {
    return Either.right({ steps: [signal("SIGTERM"), wait(Duration.seconds(Number(text))), signal("SIGKILL"), wait(Duration.seconds(Number(text)))] })
  }
  const steps: Array<StopStep> = []
  let repeatFrom: number | undefined
  for (const item of text.split("/")) {
    if (item === "forever") {
      if (repeatFrom !== undefined) return invalid(text, `"forever" appears more than once`)
      repeatFrom = steps.length
    } else if (seconds.test(item)) {
      steps.push(wait(Duration.seconds(Number(item))))
    } else {
      const name = parseSignal(item)
      if (name === undefined) {
        return invalid(text, `"${item}" is neither a timeout in seconds, "forever", nor one of ${stopSignals.map((name) => name.slice(3)).join(", ")}`)
      }
      steps.push(signal(name))
    }
  }
  if (!steps.some((step) => step._tag === "Signal")) return invalid(text, "it sends no signal")
  if (repeatFrom === steps.length) return invalid(text, `"forever" is last, so there is nothing to repeat`)
  if (steps[steps.length - 1]!._tag !== "Wait") return invalid(text, "it must end with a timeout, or the last signal's outcome is never seen")
  if (repeatFrom !== undefined && !steps.slice(repeatFrom).some((step) => step._tag === "Wait" && Duration.toMillis(step.timeout) > 0)) {
    return invalid(text, `the part after "forever" must wait a positive timeout`)
  }
  // Equivalent mutant, not disabled (→ true is killable): repeatFrom === undefined → false; { steps, repeatFrom: undefined }
  // reads as { steps }.
  return Either.right(repeatFrom === undefined ? { steps } : { steps, repeatFrom })
}

/**
 * The schedule in `--retry` syntax, for log lines.
 * @since 0.1.0
 * @category formatting
 */
export const formatStopSchedule = (schedule: StopSchedule): string =>
  schedule.steps
    .map((step, index) =>
      (index === schedule.repeatFrom ? "forever/" : "") +
      StopStep.$match(step, {
        Signal: ({ signal }) => signal.slice(3),
        Wait: ({ timeout }) => String(Duration.toMillis(timeout) / 1000)
      }))
    .join("/")
