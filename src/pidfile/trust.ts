/**
 * Whether a pidfile may decide which process root signals. A compromised
 * daemon running as an unprivileged user can write its own pidfile, or
 * plant a symbolic link on the way to root's; it must not be able to point
 * root at someone else's process (start-stop-daemon's rules since dpkg
 * 1.19.3, systemd's since CVE-2018-16888).
 */
import { Either } from "effect"
import { PidfileInvalid, PidfileProblem } from "./errors.js"
import type { ProcessHandle } from "../process/Processes.js"
import type { OpenFile } from "./PidfileFiles.js"

const worldWritable = 0o002
const groupOrWorldWritable = 0o022
const sticky = 0o1000

/** Who owns a file, and its mode, as stat(2) tells them. */
export interface Ownership {
  readonly uid: number
  readonly mode: number
}

/** A symbolic link met on the way to a pidfile, in the directory that holds it. */
export interface SymlinkOnPath {
  /** Where it is, as far as the path was resolved. */
  readonly at: string
  readonly target: string
  readonly link: Ownership
  readonly directory: Ownership
}

/**
 * Why another user may have chosen where `symlink` points, if one may: then
 * following it would let that user choose the pidfile (and so the process)
 * a caller with effective uid `callerUid` acts on. Only root and the caller
 * are trusted (as root: root alone):
 * - the link's owner chose its target (only root can chown a link);
 * - the directory's owner can replace the link, or let others (chmod);
 * - whoever else may write the directory (group or world write; a group,
 *   even root's, may have members other than root) can unlink it and plant
 *   another, unless the directory is sticky: there only an entry's owner,
 *   the directory's owner and root may remove or rename it (unlink(2) and
 *   rename(2) answer EPERM), and a name that exists cannot be created
 *   again, so a trusted link in a trusted sticky directory (/tmp) stays as
 *   its owner made it.
 */
export const unsafeSymlinkReason = ({ directory, link }: SymlinkOnPath, callerUid: number): string | undefined => {
  const trusted = (uid: number) => uid === 0 || uid === callerUid
  return !trusted(link.uid)
    ? `uid ${link.uid} owns it`
    : !trusted(directory.uid)
    ? `uid ${directory.uid} owns the directory that holds it`
    : (directory.mode & groupOrWorldWritable) !== 0 && (directory.mode & sticky) === 0
    ? `the directory that holds it is writable by others (mode ${(directory.mode & 0o7777).toString(8)}, not sticky)`
    : undefined
}

/** `unsafeSymlinkReason` for the pidfile at `path`: a refusal that names the link, why, and what to do. */
export const checkSymlinkTrust = (path: string, symlink: SymlinkOnPath, callerUid: number): Either.Either<void, PidfileInvalid> => {
  const reason = unsafeSymlinkReason(symlink, callerUid)
  return reason === undefined ? Either.void : Either.left(
    new PidfileInvalid({
      path,
      problem: PidfileProblem.UntrustedSymlinkOnPath({ at: symlink.at, target: symlink.target, why: reason, callerUid })
    })
  )
}

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
    ? Either.left(new PidfileInvalid({ path, problem: PidfileProblem.WorldWritable({ mode: file.mode }) }))
    : Either.void

/**
 * The uid sipid runs as, for `ownerMaySignal`: only whether it is root is read.
 * Node has getuid wherever sipid runs; -1 (no one) stands in elsewhere.
 */
// Stryker disable next-line LogicalOperator,OptionalChaining,UnaryOperator: only root or not is read (uid && -1 is 0 just for root), and -1 is never used
export const sipidUid = (): number => process.getuid?.() ?? -1

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
        problem: PidfileProblem.OwnerCannotSignal({ owner: file.uid, pid: process.identity.pid, realUid: real, savedUid: saved })
      })
    )
}
