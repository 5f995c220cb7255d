/**
 * The one way a failure of the system becomes an `OsError`: the errno name
 * and its description, read from a Node error, libc's `Errno` or an
 * @effect/platform error. Internal: the library's callers see `OsError`.
 */
import type * as PlatformError from "@effect/platform/Error"
import { Predicate } from "effect"
import { getSystemErrorMap } from "node:util"
import { OsError, OsSubject } from "./OsError.js"

/** @effect/platform's reasons, as the errno a Node call would have reported. */
const platformCodes: Partial<Record<PlatformError.SystemErrorReason, string>> = {
  AlreadyExists: "EEXIST",
  Busy: "EBUSY",
  NotFound: "ENOENT",
  PermissionDenied: "EACCES",
  TimedOut: "ETIMEDOUT",
  WouldBlock: "EAGAIN"
}

/**
 * @effect/platform's errors, recognised by their type id rather than by
 * importing the module: that would load @effect/platform and Schema into
 * every command for one check.
 */
const isPlatformError = (cause: unknown): cause is PlatformError.PlatformError =>
  Predicate.hasProperty(cause, Symbol.for("@effect/platform/Error"))

const errnoDescriptions = new Map([...getSystemErrorMap().values()])

/** The errno name and its description, e.g. `EACCES` and `permission denied`. */
const errnoOf = (cause: unknown): { readonly code: string; readonly description?: string } | undefined => {
  if (isPlatformError(cause)) {
    // A platform error wraps the Node error that says most.
    return errnoOf(cause.cause) ??
      // Stryker disable next-line ConditionalExpression: BadArgument, the other platform error, has no reason, and platformCodes[undefined] gives EUNKNOWN as well
      { code: (cause._tag === "SystemError" && platformCodes[cause.reason]) || "EUNKNOWN", description: cause.message }
  }
  const code = (cause as { readonly code?: unknown } | undefined)?.code
  if (typeof code !== "string") return undefined
  const description = errnoDescriptions.get(code) ?? (cause as { readonly message?: unknown }).message
  // Stryker disable next-line ConditionalExpression: a description of undefined reads as none
  return typeof description === "string" ? { code, description } : { code }
}

/**
 * `cause` as an `OsError` about `subject` (a string is a file's path), kept
 * as its `cause`. One already made is kept as it is.
 */
export const osError = (operation: string, subject: OsSubject | string, cause: unknown): OsError => {
  if (cause instanceof OsError) return cause
  const errno = errnoOf(cause)
  const code = errno?.code ?? "EUNKNOWN"
  return new OsError({
    operation,
    subject: typeof subject === "string" ? OsSubject.File({ path: subject }) : subject,
    code,
    detail: errno === undefined ? String(cause) : errno.description === undefined ? code : `${code} (${errno.description})`,
    cause
  })
}
