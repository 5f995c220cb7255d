/**
 * The only module that knows about FFI: the few libc calls Node lacks
 * (flock(2), pidfd_open(2), pidfd_send_signal(2), poll(2)), bound through
 * koffi, whose prebuilt binaries ship in a per-platform optional package.
 *
 * koffi loads on the first call, not with the layer: `status` builds the
 * same layers but never calls libc, so it works without the native binary.
 * A binary that cannot be loaded is one `SystemError` saying what to install.
 *
 * Every call reports failure as an `Errno` with the symbolic code, never as
 * a bare `-1`, so callers can decide what each failure means.
 */
import { Context, Data, Effect, Either, Layer } from "effect"
import { closeSync } from "node:fs"
import { createRequire } from "node:module"
import { constants } from "node:os"
import { SystemError } from "../errors.js"

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
  readonly tryLockExclusive: (fd: number) => Effect.Effect<boolean, Errno | SystemError>
  /** pidfd_open(pid, 0): a descriptor that can never refer to a recycled PID. */
  readonly pidfdOpen: (pid: number) => Effect.Effect<number, Errno | SystemError>
  /** pidfd_send_signal(pidfd, signal, NULL, 0). */
  readonly pidfdSendSignal: (pidfd: number, signal: number) => Effect.Effect<void, Errno | SystemError>
  /**
   * poll(2) for readability, up to `timeoutMillis`, on a libuv pool thread.
   * A pidfd turns readable when its process exits (zombie included).
   */
  readonly waitReadable: (fd: number, timeoutMillis: number) => Effect.Effect<boolean, Errno | SystemError>
  /**
   * The same for many descriptors in one poll(2): those readable, once one
   * is or `timeoutMillis` passed (then none; Infinity waits for ever).
   * Interrupting it wakes the poll at once (an eventfd polled beside them),
   * so a wait needs no short slices and costs no CPU while it lasts.
   */
  readonly readableAmong: (fds: ReadonlyArray<number>, timeoutMillis: number) => Effect.Effect<ReadonlyArray<number>, Errno | SystemError>
  /**
   * The same without waiting, on this thread (no pool round trip: ~2 µs
   * against ~150 µs): which of `fds` are readable now.
   */
  readonly readableNow: (fds: ReadonlyArray<number>) => Effect.Effect<ReadonlyArray<number>, Errno | SystemError>
}

export class Libc extends Context.Tag("sipid/Libc")<Libc, LibcService>() {}

const errnoNames = new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]))

const LOCK_EX = 2
const LOCK_NB = 4
const POLLIN = 1
// Called through syscall(2): glibc has wrappers only since 2.36 (Ubuntu Jammy
// stemcells have 2.35). Both numbers are the same on every Linux architecture.
const SYS_pidfd_send_signal = 424
const SYS_pidfd_open = 434

const platform = `${process.platform}-${process.arch}`
const nativePackage = `@koromix/koffi-${platform}`

/** One line for the log: which platform, what is missing, how to get it. */
const unloadable = (what: "koffi" | "libc.so.6", cause: unknown): SystemError => {
  // koffi's own message ends in advice for bundlers ("; did you bundle it correctly?").
  const reason = String((cause as Error)?.message ?? cause).split(/[;\n]/)[0]
  return what === "koffi"
    ? new SystemError({
      operation: "load native code",
      path: "koffi",
      code: "ENATIVE",
      detail: `no native binary for ${platform} (${reason})`,
      hint: `it comes from koffi's optional dependency ${nativePackage}: reinstall sipid without --omit=optional, or npm install ${nativePackage} at koffi's version`,
      cause
    })
    : new SystemError({ operation: "load", path: what, code: "ENATIVE", detail: reason, hint: `sipid needs Linux with glibc, found ${platform}`, cause })
}

const loadKoffi = () =>
  Either.try({
    // koffi is CommonJS; a require keeps the ESM bundle free of interop shims.
    try: () => createRequire(import.meta.url)("koffi") as typeof import("koffi"),
    catch: (cause) => unloadable("koffi", cause)
  })

const bind = () =>
  Either.flatMap(loadKoffi(), (ffi) =>
    Either.try({
      try: () => {
        const libc = ffi.load("libc.so.6")
        const pollfd = ffi.struct("sipid_pollfd", { fd: "int", events: "short", revents: "short" })
        const syscall = libc.func("long syscall(long number, ...)")
        return {
          errno: (name: string) => new Errno({ syscall: name, code: errnoNames.get(ffi.errno()) ?? `errno ${ffi.errno()}` }),
          flock: libc.func("int flock(int fd, int operation)"),
          pidfdOpen: (pid: number): number => syscall(SYS_pidfd_open, "int", pid, "unsigned int", 0),
          pidfdSendSignal: (pidfd: number, signal: number): number =>
            syscall(SYS_pidfd_send_signal, "int", pidfd, "int", signal, "void *", null, "unsigned int", 0),
          poll: libc.func("poll", "int", [ffi.inout(ffi.pointer(pollfd)), "unsigned long", "int"]),
          eventfd: libc.func("int eventfd(unsigned int initval, int flags)"),
          write: libc.func("long write(int fd, const void *buf, unsigned long count)")
        }
      },
      catch: (cause) => unloadable("libc.so.6", cause)
    }))

// koffi registers struct names process-wide, so binding twice fails with
// "Duplicate type name": every build of the layer shares one attempt.
let bound: ReturnType<typeof bind> | undefined
const bindings = Effect.suspend(() => (bound ??= bind()))

const EFD_NONBLOCK = 0o4000
const EFD_CLOEXEC = 0o2000000
/** poll(2) takes an int: longer waits (and Infinity) wait for ever. */
const pollTimeout = (millis: number) => (millis >= 2 ** 31 - 1 ? -1 : Math.max(0, Math.ceil(millis)))

const readableAmong = (fds: ReadonlyArray<number>, timeoutMillis: number) =>
  Effect.flatMap(bindings, ({ errno, eventfd, poll, write }) =>
    Effect.async<ReadonlyArray<number>, Errno>((resume) => {
      const wakeup = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)
      if (wakeup < 0) return resume(Effect.fail(errno("eventfd")))
      const requests = [...fds, wakeup].map((fd) => ({ fd, events: POLLIN, revents: 0 }))
      poll.async(requests, requests.length, pollTimeout(timeoutMillis), (error: unknown, result: number) => {
        closeSync(wakeup)
        if (error) resume(Effect.die(error))
        else if (result < 0) {
          const failure = errno("poll")
          resume(failure.code === "EINTR" ? Effect.succeed([]) : Effect.fail(failure))
        } else resume(Effect.succeed(requests.filter((request) => request.revents !== 0 && request.fd !== wakeup).map((request) => request.fd)))
      })
      // Interrupted: end the poll now, freeing its pool thread (the callback then closes the eventfd).
      return Effect.sync(() => write(wakeup, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), 8))
    }))

const make = (): LibcService => ({
  tryLockExclusive: (fd) =>
    Effect.flatMap(bindings, ({ errno, flock }) => {
      if (flock(fd, LOCK_EX | LOCK_NB) === 0) return Effect.succeed(true)
      const error = errno("flock")
      return error.code === "EWOULDBLOCK" || error.code === "EAGAIN" ? Effect.succeed(false) : Effect.fail(error)
    }),
  pidfdOpen: (pid) =>
    Effect.flatMap(bindings, ({ errno, pidfdOpen }) => {
      const fd = pidfdOpen(pid)
      return fd >= 0 ? Effect.succeed(fd) : Effect.fail(errno("pidfd_open"))
    }),
  pidfdSendSignal: (pidfd, signal) =>
    Effect.flatMap(bindings, ({ errno, pidfdSendSignal }) =>
      pidfdSendSignal(pidfd, signal) === 0 ? Effect.void : Effect.fail(errno("pidfd_send_signal"))),
  waitReadable: (fd, timeoutMillis) => Effect.map(readableAmong([fd], timeoutMillis), (readable) => readable.length > 0),
  readableAmong,
  readableNow: (fds) =>
    Effect.flatMap(bindings, ({ errno, poll }) => {
      const requests = fds.map((fd) => ({ fd, events: POLLIN, revents: 0 }))
      return poll(requests, requests.length, 0) < 0
        ? Effect.fail(errno("poll"))
        : Effect.succeed(requests.filter((request) => request.revents !== 0).map((request) => request.fd))
    })
})

/** libc through koffi, loaded on the first call (koffi costs a few ms to import). */
export const LibcLive: Layer.Layer<Libc> = Layer.sync(Libc, make)
