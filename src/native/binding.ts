/**
 * The few libc calls sipid makes that Node lacks, as one synchronous
 * interface with two implementations: koffi under Node (the npm bin and the
 * library) and `bun:ffi` in the Bun executable, which must not unpack a
 * native module to /tmp to load it. Each call returns what libc returns;
 * after a -1, `errno()` says why, and must be read before any other call.
 *
 * Every call is synchronous on the calling thread: sipid never parks a call
 * on a thread pool, so it creates no thread after start-up (near PID
 * exhaustion a thread it cannot create would abort the runtime mid-stop).
 */
import { createRequire } from "node:module"
import { SystemError } from "../errors.js"

/** One entry of poll(2)'s array: `revents` is filled in by `poll`. */
export interface PollRequest {
  readonly fd: number
  revents: number
}

export interface RawLibc {
  readonly flock: (fd: number, operation: number) => number
  /** syscall(2) with up to five integer arguments. */
  readonly syscall: (number: number, ...args: ReadonlyArray<number>) => number
  /** poll(2) for POLLIN on each request's fd; fills in `revents`. */
  readonly poll: (requests: ReadonlyArray<PollRequest>, timeoutMillis: number) => number
  /** The errno of the last call that failed. */
  readonly errno: () => number
}

/** Loads modules that exist only in one runtime (bun:ffi) or outside the bundle (koffi). */
export const requireModule = createRequire(import.meta.url)

export const platform = `${process.platform}-${process.arch}`

/** The first sentence of why a load failed: koffi's own message ends in advice for bundlers ("; did you bundle it correctly?"). */
export const reasonOf = (cause: unknown) => String((cause as Error)?.message ?? cause).split(/[;\n]/)[0]

/** libc itself cannot be bound: not Linux with glibc. */
export const noLibc = (cause: unknown): SystemError =>
  new SystemError({
    operation: "load",
    path: "libc.so.6",
    code: "ENATIVE",
    detail: reasonOf(cause),
    hint: `sipid needs Linux with glibc, found ${platform}`,
    cause
  })

