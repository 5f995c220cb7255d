/**
 * The identity record: who the claimed PID was (start ticks and boot id),
 * kept beside the pidfile in `FILE.identity` because the pidfile itself must
 * hold `PID\n` and nothing else (`kill $(cat FILE)` signals every number in
 * it). `kill` and `status` use it to tell a reused PID from the real process,
 * and `kill --tree` to tell the session the process made from a stranger's.
 *
 * A pidfile written by another tool has no record, and a record that names
 * another PID is ignored: everything works without one.
 */
import { Effect, Option } from "effect"
import type { OsError } from "../os/OsError.js"
import type { PidfileInvalid } from "./errors.js"
import type { Pid } from "../process/Pid.js"
import { hasExited, isSameProcess, type ProcessIdentity, Processes } from "../process/Processes.js"
import type { ClaimedSession } from "../process/remains.js"
import { PidfileFiles } from "./PidfileFiles.js"
import { untrustedRecordReason } from "./trust.js"

export const identityRecordPath = (pidfile: string): string => `${pidfile}.identity`

/**
 * The record's format: one JSON object with these fields. Fields beyond
 * them are ignored, so a later sipid may add some without voiding this
 * one's records. Checked by hand rather than with effect's Schema, which
 * would be a third of what every claim loads.
 */
interface IdentityRecord {
  readonly pid: number
  readonly startTicks: number
  readonly bootId: string
  readonly forks?: number
  readonly autogroup?: number
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0

const decodeRecord = (text: string): Option.Option<IdentityRecord> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return Option.none()
  }
  if (typeof parsed !== "object" || parsed === null) return Option.none()
  const { autogroup, bootId, forks, pid, startTicks } = parsed as Record<string, unknown>
  const valid = typeof pid === "number" && Number.isSafeInteger(startTicks) && typeof bootId === "string" &&
    (forks === undefined || isCount(forks)) && (autogroup === undefined || Number.isSafeInteger(autogroup))
  return valid ? Option.some(parsed as IdentityRecord) : Option.none()
}

export interface RecordedIdentity extends ProcessIdentity {
  /**
   * The autogroup of the session the process made, and the count of
   * processes created by then: once it has exited, which processes of a
   * session with its PID's number are its job's (see
   * src/process/remains.ts). Records of older sipids lack it.
   */
  readonly session: Option.Option<ClaimedSession>
}

/**
 * The autogroup of the process `identity` names, read between two
 * sightings of it: had its PID changed hands in between, the answer could
 * be a newcomer's.
 */
const autogroupOf = (identity: ProcessIdentity) =>
  Effect.gen(function*() {
    const processes = yield* Processes
    const autogroup = yield* processes.autogroup(identity.pid)
    const still = yield* processes.lineage(identity.pid)
    return Option.exists(still, (now) => isSameProcess(now.identity, identity) && !hasExited(now)) ? autogroup : Option.none()
  })

/**
 * Replaces the record atomically. Call only while holding the pidfile's lock.
 * Returns the uid that owns the new record (the caller's): it is believed
 * only beside a pidfile of that owner.
 *
 * No fsync: a record only speaks for the boot it names. Whatever a crash
 * leaves of it names an earlier boot, or nothing, and is void either way.
 */
export const writeIdentityRecord = (
  pidfile: string,
  identity: ProcessIdentity
): Effect.Effect<number, PidfileInvalid | OsError, PidfileFiles | Processes> =>
  Effect.gen(function*() {
    const files = yield* PidfileFiles
    const processes = yield* Processes
    // Without them (a read failed; no autogroup: the root one, or a kernel without
    // them) the record still tells a reused PID; only a stale pidfile's orphans go unstopped.
    const session = yield* Effect.option(Effect.all({ forks: processes.forkCount, autogroup: Effect.flatten(autogroupOf(identity)) }))
    const record = { pid: identity.pid, startTicks: identity.startTicks, bootId: identity.bootId, ...Option.getOrUndefined(session) }
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: an fsync more or less shows only after a crash
    const written = yield* Effect.scoped(files.publish(identityRecordPath(pidfile), JSON.stringify(record satisfies IdentityRecord) + "\n", { durable: false }))
    return written.uid
  })

/** Far more than a record sipid writes (about 90 bytes); anything larger is not one. */
const maxRecordBytes = 4096

/** The identity a record holds, if it is one and names `pid`. */
const decode = (text: string, pid: Pid): Option.Option<RecordedIdentity> =>
  decodeRecord(text).pipe(
    Option.filter((record) => record.pid === pid),
    Option.map(({ autogroup, bootId, forks, startTicks }) => ({
      pid,
      startTicks,
      bootId,
      session: forks === undefined || autogroup === undefined ? Option.none() : Option.some({ forks, autogroup })
    }))
  )

/** The recorded identity of `pid`, if a usable record for that PID exists. */
export const readIdentityRecord = (
  pidfile: string,
  pid: Pid,
  pidfileOwner: number
): Effect.Effect<Option.Option<RecordedIdentity>, never, PidfileFiles> =>
  Effect.gen(function*() {
    const files = yield* PidfileFiles
    const opened = yield* files.open(identityRecordPath(pidfile))
    if (Option.isNone(opened)) return Option.none()
    const untrusted = untrustedRecordReason(opened.value, pidfileOwner)
    if (untrusted !== undefined) {
      yield* Effect.logWarning(`ignoring identity record ${identityRecordPath(pidfile)}: ${untrusted}`)
      return Option.none()
    }
    const text = yield* files.read(opened.value, maxRecordBytes)
    return Option.flatMap(text, (text) => decode(text, pid))
  }).pipe(
    Effect.scoped,
    Effect.catchAll((error) =>
      Effect.logWarning(`ignoring identity record ${identityRecordPath(pidfile)}: ${error.message}`).pipe(Effect.as(Option.none()))
    )
  )
