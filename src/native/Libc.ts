/**
 * The only module that knows about FFI: the few libc calls Node lacks
 * (flock(2), pidfd_open(2), pidfd_send_signal(2), poll(2), and what `sipid
 * run` needs to become the job: execve(2), the ids, limits and signals),
 * through the binding of the runtime sipid runs on (see binding.ts).
 *
 * The binding loads on the first call, not with the layer: `status` builds
 * the same layers but never calls libc, so it works without the native
 * binary. A binding that cannot be loaded is one `OsError` saying what
 * to install.
 *
 * Every call reports failure as an `Errno` with the symbolic code, never as
 * a bare `-1`, so callers can decide what each failure means.
 */
import { Context, Data, Effect, Either, Layer } from "effect"
import { constants } from "node:os"
import type { OsError } from "../os/OsError.js"
import type { PollRequest, RawLibc } from "./binding.js"
import * as BunBinding from "./bunBinding.js"
import * as KoffiBinding from "./koffiBinding.js"

export class Errno extends Data.TaggedError("Errno")<{
  readonly syscall: string
  readonly code: string
}> {
  override get message(): string {
    return `${this.syscall}: ${this.code}`
  }
}

export interface LibcService {
  /** flock(fd, LOCK_EX | LOCK_NB): `false` when another open file description holds it. */
  readonly tryLockExclusive: (fd: number) => Effect.Effect<boolean, Errno | OsError>
  /** pidfd_open(pid, 0): a descriptor that can never refer to a recycled PID. */
  readonly pidfdOpen: (pid: number) => Effect.Effect<number, Errno | OsError>
  /** pidfd_send_signal(pidfd, signal, NULL, 0). */
  readonly pidfdSendSignal: (pidfd: number, signal: number) => Effect.Effect<void, Errno | OsError>
  /**
   * Whether `fd` turns readable within `timeoutMillis` (Infinity waits for
   * ever). A pidfd turns readable when its process exits (zombie included).
   */
  readonly waitReadable: (fd: number, timeoutMillis: number) => Effect.Effect<boolean, Errno | OsError>
  /**
   * The same for many descriptors in one poll(2): those readable, once one
   * is or `timeoutMillis` passed (then none). Interruptible: see `sliceMillis`.
   */
  readonly readableAmong: (fds: ReadonlyArray<number>, timeoutMillis: number) => Effect.Effect<ReadonlyArray<number>, Errno | OsError>
  /** The same without waiting: which of `fds` are readable now. */
  readonly readableNow: (fds: ReadonlyArray<number>) => Effect.Effect<ReadonlyArray<number>, Errno | OsError>
  /** execve(2): this process becomes `path`, keeping its PID; fails only if the kernel refused. */
  readonly execve: (path: string, argv: ReadonlyArray<string>, env: ReadonlyArray<string>) => Effect.Effect<never, Errno | OsError>
  /** setgroups(2): the supplementary groups. */
  readonly setgroups: (gids: ReadonlyArray<number>) => Effect.Effect<void, Errno | OsError>
  readonly setresgid: (real: number, effective: number, saved: number) => Effect.Effect<void, Errno | OsError>
  readonly setresuid: (real: number, effective: number, saved: number) => Effect.Effect<void, Errno | OsError>
  /** setrlimit(2) of the `RLIMIT_*` number `resource`; 2^64 - 1 is unlimited. */
  readonly setrlimit: (resource: number, soft: bigint, hard: bigint) => Effect.Effect<void, Errno | OsError>
  /** prctl(PR_SET_NO_NEW_PRIVS, 1): no exec from here on gains privileges (setuid bits, file capabilities). */
  readonly setNoNewPrivs: Effect.Effect<void, Errno | OsError>
  /** setpriority(PRIO_PROCESS, 0, nice): this thread's niceness, which an exec from it keeps. */
  readonly setNice: (nice: number) => Effect.Effect<void, Errno | OsError>
  /** setsid(2); EPERM when this process already leads a process group. */
  readonly setsid: Effect.Effect<void, Errno | OsError>
  /** umask(2): the previous mask. */
  readonly umask: (mask: number) => Effect.Effect<number, OsError>
  readonly chdir: (path: string) => Effect.Effect<void, Errno | OsError>
  /** fcntl(2) with an integer argument: its result. */
  readonly fcntl: (fd: number, command: number, arg: number) => Effect.Effect<number, Errno | OsError>
  readonly dup2: (from: number, to: number) => Effect.Effect<void, Errno | OsError>
  /** signal(2): `signal`'s disposition becomes its default action, or ignored. */
  readonly setSignal: (signal: number, disposition: "default" | "ignore") => Effect.Effect<void, Errno | OsError>
  /** sigprocmask(2): the calling thread (whose mask an exec from it keeps) blocks no signal. */
  readonly unblockSignals: Effect.Effect<void, Errno | OsError>
}

export class Libc extends Context.Tag("sipid/Libc")<Libc, LibcService>() {}

const errnoNames = new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]))

const LOCK_EX = 2
const LOCK_NB = 4
// Called through syscall(2): glibc has wrappers only since 2.36 (Ubuntu Jammy
// stemcells have 2.35). Both numbers are the same on every Linux architecture.
const SYS_pidfd_send_signal = 424
const SYS_pidfd_open = 434

/**
 * The longest one poll(2) blocks this thread. A wait polls in slices and
 * lets the event loop run between them, so timers and an interruption by
 * another fiber wait at most this long; a signal to sipid ends the slice at
 * once (EINTR: the runtime keeps no other thread for it to land on). No
 * thread is parked in a poll (see binding.ts), so a wait costs a wake-up per
 * slice: 80 in a 20 s grace.
 */
export const sliceMillis = 250

/**
 * Binds on first use. koffi registers struct names process-wide, so binding
 * twice fails with "Duplicate type name": every build of the layer shares
 * one attempt.
 */
let bound: Either.Either<RawLibc, OsError> | undefined
const binding = Effect.suspend(() => (bound ??= typeof process.versions.bun === "string" ? BunBinding.bind() : KoffiBinding.bind()))

const failure = (libc: RawLibc, syscall: string) => {
  const errno = libc.errno()
  return new Errno({ syscall, code: errnoNames.get(errno) ?? `errno ${errno}` })
}

/** One poll(2) of `fds` for up to `millis`: those readable (none when a signal cut it short), or the errno. */
const pollOnce = (libc: RawLibc, fds: ReadonlyArray<number>, millis: number): Either.Either<ReadonlyArray<number>, Errno> => {
  const requests: Array<PollRequest> = fds.map((fd) => ({ fd, revents: 0 }))
  if (libc.poll(requests, Math.max(0, Math.ceil(millis))) >= 0) return Either.right(requests.filter(({ revents }) => revents !== 0).map(({ fd }) => fd))
  const error = failure(libc, "poll")
  return error.code === "EINTR" ? Either.right([]) : Either.left(error)
}

/**
 * Slice after slice on plain timers rather than through Effect's loop: a
 * wake-up is a poll and a timer, a fraction of a millisecond even where
 * JavaScript is interpreted. Interrupting the wait cancels the next slice.
 */
const readableAmong = (fds: ReadonlyArray<number>, timeoutMillis: number) =>
  Effect.flatMap(binding, (libc) =>
    Effect.async<ReadonlyArray<number>, Errno>((resume) => {
      const deadline = Date.now() + timeoutMillis
      let next: ReturnType<typeof setTimeout> | undefined
      const slice = () => {
        const remaining = Math.max(0, deadline - Date.now())
        const polled = pollOnce(libc, fds, Math.min(remaining, sliceMillis))
        if (Either.isLeft(polled) || polled.right.length > 0 || remaining <= sliceMillis) return resume(polled)
        // A macrotask, not a microtask: the event loop runs timers and signal handlers here.
        next = setTimeout(slice, 0)
      }
      slice()
      return Effect.sync(() => clearTimeout(next))
    }))

/** A call that returns -1 on failure, as an Effect: its result, or the Errno. */
const call = (syscall: string, invoke: (libc: RawLibc) => number) =>
  Effect.flatMap(binding, (libc) => {
    const result = invoke(libc)
    return result === -1 ? Effect.fail(failure(libc, syscall)) : Effect.succeed(result)
  })

const PRIO_PROCESS = 0
const PR_SET_NO_NEW_PRIVS = 38

const make = (): LibcService => ({
  tryLockExclusive: (fd) =>
    Effect.flatMap(binding, (libc) => {
      if (libc.flock(fd, LOCK_EX | LOCK_NB) === 0) return Effect.succeed(true)
      const error = failure(libc, "flock")
      return error.code === "EWOULDBLOCK" || error.code === "EAGAIN" ? Effect.succeed(false) : Effect.fail(error)
    }),
  pidfdOpen: (pid) =>
    Effect.flatMap(binding, (libc) => {
      const fd = libc.syscall(SYS_pidfd_open, pid, 0)
      return fd >= 0 ? Effect.succeed(fd) : Effect.fail(failure(libc, "pidfd_open"))
    }),
  pidfdSendSignal: (pidfd, signal) =>
    Effect.flatMap(binding, (libc) =>
      libc.syscall(SYS_pidfd_send_signal, pidfd, signal, 0, 0) === 0 ? Effect.void : Effect.fail(failure(libc, "pidfd_send_signal"))),
  waitReadable: (fd, timeoutMillis) => Effect.map(readableAmong([fd], timeoutMillis), (readable) => readable.length > 0),
  readableAmong,
  readableNow: (fds) => Effect.flatMap(binding, (libc) => pollOnce(libc, fds, 0)),
  // Returns only on failure, so whatever it answers is one.
  execve: (path, argv, env) => Effect.flatMap(binding, (libc) => (libc.execve(path, argv, env), Effect.fail(failure(libc, "execve")))),
  setgroups: (gids) => Effect.asVoid(call("setgroups", (libc) => libc.setgroups(gids))),
  setresgid: (real, effective, saved) => Effect.asVoid(call("setresgid", (libc) => libc.setresgid(real, effective, saved))),
  setresuid: (real, effective, saved) => Effect.asVoid(call("setresuid", (libc) => libc.setresuid(real, effective, saved))),
  setrlimit: (resource, soft, hard) => Effect.asVoid(call("setrlimit", (libc) => libc.setrlimit(resource, soft, hard))),
  setNoNewPrivs: Effect.asVoid(call("prctl", (libc) => libc.prctl(PR_SET_NO_NEW_PRIVS, 1))),
  setNice: (nice) => Effect.asVoid(call("setpriority", (libc) => libc.setpriority(PRIO_PROCESS, 0, nice))),
  setsid: Effect.asVoid(call("setsid", (libc) => libc.setsid())),
  umask: (mask) => Effect.map(binding, (libc) => libc.umask(mask)),
  chdir: (path) => Effect.asVoid(call("chdir", (libc) => libc.chdir(path))),
  fcntl: (fd, command, arg) => call("fcntl", (libc) => libc.fcntl(fd, command, arg)),
  dup2: (from, to) => Effect.asVoid(call("dup2", (libc) => libc.dup2(from, to))),
  setSignal: (signal, disposition) => Effect.asVoid(call("signal", (libc) => libc.signal(signal, disposition === "ignore" ? 1 : 0))),
  unblockSignals: Effect.asVoid(call("sigprocmask", (libc) => libc.unblockSignals()))
})

/** libc through the runtime's binding, loaded on the first call. */
export const LibcLive: Layer.Layer<Libc> = Layer.sync(Libc, make)
