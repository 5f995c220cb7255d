/**
 * Whether a pidfile may decide which process root signals. A compromised
 * daemon running as an unprivileged user can write its own pidfile; it must
 * not be able to point root at someone else's process (start-stop-daemon's
 * rules since dpkg 1.19.3, systemd's since CVE-2018-16888).
 */
import { Either } from "effect"
import { PidfileInvalid } from "../errors.js"
import type { ProcessHandle } from "../process/Processes.js"
import type { OpenFile } from "./PidfileFiles.js"

const worldWritable = 0o002

/**
 * Why the identity record beside a pidfile owned by `pidfileOwner` cannot be
 * believed, if it cannot. A record decides whether kill signals at all (a
 * "reused" PID is left alone), so it needs the pidfile's own standing:
 * claim writes both as the same user, and nobody else may have written it.
 */
export const untrustedRecordReason = (record: OpenFile, pidfileOwner: number): string | undefined =>
  (record.mode & worldWritable) !== 0
    ? `it is world-writable (mode ${(record.mode & 0o7777).toString(8)})`
    : record.uid !== pidfileOwner
    ? `it is owned by uid ${record.uid}, not by the pidfile's owner (uid ${pidfileOwner})`
    : undefined

/** Anyone could have written a world-writable pidfile: never act on it. */
export const checkFileTrust = (path: string, file: OpenFile): Either.Either<void, PidfileInvalid> =>
  (file.mode & worldWritable) !== 0
    ? Either.left(new PidfileInvalid({ path, reason: `is world-writable (mode ${(file.mode & 0o7777).toString(8)}), so anyone may have written it` }))
    : Either.void

/**
 * As root, a pidfile owned by another user may only name a process that
 * user could signal itself, by the kernel's rule: the process's real or
 * saved uid is the owner's. Its effective uid decides nothing: a process
 * running with real and saved uid 0 and effective uid `nobody` can get
 * root back, and `nobody` cannot signal it. A root-owned pidfile may name
 * anyone (BOSH: root claims, then `chpst -u vcap` runs the job). An
 * unprivileged caller needs no rule, the kernel enforces it. `kill --tree`
 * and `status --tree` apply it to every member of the job too.
 */
export const ownerMaySignal = (pidfileOwner: number, process: ProcessHandle, callerUid: number): boolean =>
  callerUid !== 0 || pidfileOwner === 0 || process.uids.real === pidfileOwner || process.uids.saved === pidfileOwner

/** `ownerMaySignal` for the process a pidfile names: refused with the uids that decided it. */
export const checkOwnerTrust = (
  path: string,
  file: OpenFile,
  process: ProcessHandle,
  callerUid: number
): Either.Either<void, PidfileInvalid> => {
  const { real, saved } = process.uids
  return ownerMaySignal(file.uid, process, callerUid)
    ? Either.void
    : Either.left(
      new PidfileInvalid({
        path,
        reason: `is owned by uid ${file.uid}, which could not signal the process it names, ${process.identity.pid} (real uid ${real}, saved uid ${saved}); as root, sipid signals only what the owner could`
      })
    )
}
