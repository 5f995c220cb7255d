/**
 * The few libc calls sipid makes that Node lacks, as one synchronous
 * interface with two implementations: koffi under Node (the npm bin and the
 * library) and `bun:ffi` in the Bun executable, which must not unpack a
 * native module to /tmp to load it. Each call returns what libc returns;
 * after a -1, `errno()` says why, and must be read before any other call.
 * Arguments are integers, strings and arrays of them only, so both
 * bindings stay plain declarations.
 *
 * Every call is synchronous on the calling thread: sipid never parks a call
 * on a thread pool, so it creates no thread after start-up (near PID
 * exhaustion a thread it cannot create would abort the runtime mid-stop).
 */
import { createRequire } from "node:module"
import { OsError, OsSubject } from "../os/OsError.js"

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
  /** execve(2): returns only when it failed. */
  readonly execve: (path: string, argv: ReadonlyArray<string>, env: ReadonlyArray<string>) => number
  readonly setgroups: (gids: ReadonlyArray<number>) => number
  readonly setresgid: (real: number, effective: number, saved: number) => number
  readonly setresuid: (real: number, effective: number, saved: number) => number
  /** setrlimit(2); RLIM_INFINITY is 2^64 - 1. */
  readonly setrlimit: (resource: number, soft: bigint, hard: bigint) => number
  /** prctl(2) with one argument (the other three 0). */
  readonly prctl: (option: number, value: number) => number
  readonly setpriority: (which: number, who: number, priority: number) => number
  readonly setsid: () => number
  readonly umask: (mask: number) => number
  readonly chdir: (path: string) => number
  /** fcntl(2) with an integer argument. */
  readonly fcntl: (fd: number, command: number, arg: number) => number
  readonly dup2: (from: number, to: number) => number
  /** signal(2) with SIG_DFL (0) or SIG_IGN (1): -1 on failure, else the previous disposition. */
  readonly signal: (signal: number, disposition: number) => number
  /** sigprocmask(SIG_SETMASK, an empty set, NULL): the calling thread blocks no signal. */
  readonly unblockSignals: () => number
}

/** sigprocmask's `how` that replaces the mask, and the size of glibc's sigset_t (1024 bits). */
export const SIG_SETMASK = 2
export const sigsetBytes = 128

/** Loads modules that exist only in one runtime (bun:ffi) or outside the bundle (koffi). */
export const requireModule = createRequire(import.meta.url)

export const platform = `${process.platform}-${process.arch}`

/** The first sentence of why a load failed: koffi's own message ends in advice for bundlers ("; did you bundle it correctly?"). */
export const reasonOf = (cause: unknown) => String((cause as Error)?.message ?? cause).split(/[;\n]/)[0]

/** libc itself cannot be bound: not Linux with glibc. */
export const noLibc = (cause: unknown): OsError =>
  new OsError({
    operation: "load",
    subject: OsSubject.File({ path: "libc.so.6" }),
    code: "ENATIVE",
    detail: reasonOf(cause),
    hint: `sipid needs Linux with glibc, found ${platform}`,
    cause
  })

