/**
 * A PID that is safe to hand to a signal call. The only way to get one is
 * to parse text strictly: `process.kill` coerces `""`, `"0"` and `false` to
 * 0 (the caller's own process group), `"01"` to 1, and negative numbers
 * address process groups, so nothing unparsed may ever reach it.
 */
import { type Brand, Data, Effect, Either } from "effect"
import { InvalidPid } from "./errors.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Pid = number & Brand.Brand<"Pid">

/** Linux's default when /proc/sys/kernel/pid_max cannot be read; the kernel never exceeds 2^22. */
export const pidMaxCeiling = 4_194_304

const digits = /^[1-9][0-9]{0,9}$/

/**
 * Parses a PID given on the command line: decimal digits only, no sign, no
 * leading zero, no whitespace, greater than 1 (init is never ours to
 * claim or stop) and at most `pidMax`.
 * @since 0.1.0
 * @category parsers
 */
export const parsePid = (text: string, pidMax: number): Either.Either<Pid, InvalidPid> => {
  const invalid = (reason: string) => Either.left(new InvalidPid({ input: text, reason }))
  if (!digits.test(text)) return invalid(`"${printable(text)}" is not a valid PID: expected a decimal number from 2 to ${pidMax}`)
  const pid = Number(text)
  if (pid === 1) return invalid(`PID 1 is init and is never a job's process`)
  if (pid > pidMax) return invalid(`PID ${text} is above pid_max (${pidMax})`)
  return Either.right(pid as Pid)
}

/**
 * The last check before a system call: a `Pid` made by a cast (`42 as Pid`)
 * instead of by parsing must still never be 0, 1 or negative.
 */
export const isSignalablePid = (pid: number): boolean => Number.isSafeInteger(pid) && pid > 1 && pid <= pidMaxCeiling

/**
 * Where every `Processes` layer, live or simulated, starts with a PID: an
 * unvalidated one is a bug in the caller, never a signal, so it dies.
 */
export const guardPid = (pid: Pid): Effect.Effect<void> =>
  isSignalablePid(pid) ? Effect.void : Effect.dieMessage(`refusing to act on PID ${pid}: not a validated PID (parsePid)`)

/**
 * sipid's own process and its parent (a ctl script that `exec`s sipid, or
 * its shell): what a pidfile may never make sipid signal. The kernel's
 * word, not text, and only compared with a pidfile's PID, never signalled,
 * so they need no parsing (the parent is 0 when it is outside sipid's PID
 * namespace).
 */
export const sipidAndParent = (): ReadonlyArray<Pid> => [process.pid as Pid, process.ppid as Pid]

/**
 * What a pidfile holds, judged the way sipid reads it: one PID with only
 * ASCII space, tab, CR and LF around it, nothing else. Other whitespace
 * (vertical tab, form feed, no-break space, a byte-order mark) is not what
 * a PID writer puts there, so it makes the content invalid.
 * @since 0.1.0
 * @category models
 */
export type PidfileContent = Data.TaggedEnum<{
  Empty: {}
  /**
   * Not one PID. `readAs` is the PID a reader that takes the first number
   * would see (monit's `fscanf("%d")`), when that is one: such a reader
   * takes the file for that process's pidfile.
   */
  Invalid: { readonly reason: string; readonly readAs?: Pid }
  Valid: { readonly pid: Pid }
}>

export const PidfileContent = Data.taggedEnum<PidfileContent>()

/**
 * @since 0.1.0
 * @category parsers
 */
export const parsePidfileContent = (text: string, pidMax: number): PidfileContent => {
  const trimmed = trimPidfileSpace(text)
  if (trimmed.length === 0) return PidfileContent.Empty()
  return Either.match(parsePid(trimmed, pidMax), {
    onLeft: ({ reason }) => {
      const readAs = firstNumber(text, pidMax)
      // Equivalent mutant, not disabled (→ true is killable): readAs === undefined → false; an absent readAs and one set to
      // undefined read the same.
      return PidfileContent.Invalid(readAs === undefined ? { reason } : { reason, readAs })
    },
    onRight: (pid) => PidfileContent.Valid({ pid })
  })
}

/** What C's `fscanf("%d")` reads first (C whitespace, an optional sign, digits), if it is a PID sipid could own. */
const firstNumber = (text: string, pidMax: number): Pid | undefined => {
  const digits = /^[ \t\n\v\f\r]*\+?([0-9]+)/.exec(text)?.[1]
  const pid = Number(digits)
  // Equivalent mutant, not disabled (the line's other ConditionalExpression mutants are killable): digits !== undefined
  // → true; Number(undefined) is NaN, which fails > 1 anyway.
  return digits !== undefined && pid > 1 && pid <= pidMax ? (pid as Pid) : undefined
}

const isPidfileSpace = (char: string | undefined) => char === " " || char === "\t" || char === "\r" || char === "\n"

// A loop, not a regex: a trailing-space pattern backtracks quadratically on long content.
const trimPidfileSpace = (text: string): string => {
  let start = 0
  let end = text.length
  // Equivalent mutants, not disabled (the same mutators' other mutants here are killable): either loop's bound → true,
  // < → <= or > → >=; past the bound the character is undefined, never a space, and all-space text trims to "" anyway.
  while (start < end && isPidfileSpace(text[start])) start++
  while (end > start && isPidfileSpace(text[end - 1])) end--
  return text.slice(start, end)
}

/** Shows control characters and long values safely inside a one-line message. */
export const printable = (text: string): string => {
  const escaped = JSON.stringify(text).slice(1, -1)
  return escaped.length > 40 ? `${escaped.slice(0, 40)}...` : escaped
}
