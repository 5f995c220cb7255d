/**
 * Whether a pidfile may decide which process root signals. A compromised
 * daemon running as an unprivileged user can write its own pidfile; it must
 * not be able to point root at someone else's process (start-stop-daemon's
 * rules since dpkg 1.19.3, systemd's since CVE-2018-16888).
 */
import { Either } from "effect"
import { PidfileInvalid } from "../errors.js"
import type { OpenFile } from "./PidfileFiles.js"

const worldWritable = 0o002

/** Anyone could have written a world-writable pidfile: never act on it. */
export const checkFileTrust = (path: string, file: OpenFile): Either.Either<void, PidfileInvalid> =>
  (file.mode & worldWritable) !== 0
    ? Either.left(new PidfileInvalid({ path, reason: `is world-writable (mode ${(file.mode & 0o7777).toString(8)}), so anyone may have written it` }))
    : Either.void

/**
 * As root, a pidfile owned by another user may only name that user's own
 * processes: it can make root signal nothing its owner could not signal
 * itself. An unprivileged caller needs no rule, the kernel enforces it.
 */
export const checkOwnerTrust = (
  path: string,
  file: OpenFile,
  process: { readonly pid: number; readonly uid: number },
  callerUid: number
): Either.Either<void, PidfileInvalid> =>
  callerUid === 0 && file.uid !== 0 && file.uid !== process.uid
    ? Either.left(
      new PidfileInvalid({
        path,
        reason: `is owned by uid ${file.uid} but names process ${process.pid} of uid ${process.uid}; root signals only the pidfile owner's own processes`
      })
    )
    : Either.void
