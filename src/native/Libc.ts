/**
 * The only module that knows about FFI: the few libc calls Node lacks
 * (flock(2), pidfd_open(2), pidfd_send_signal(2), poll(2)), bound through
 * koffi, whose prebuilt binaries ship inside its npm package.
 *
 * Every call reports failure as an `Errno` with the symbolic code, never as
 * a bare `-1`, so callers can decide what each failure means.
 */
import { Context, Data, Effect, Layer } from "effect"
import { createRequire } from "node:module"
import { constants } from "node:os"

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
  readonly tryLockExclusive: (fd: number) => Effect.Effect<boolean, Errno>
  /** pidfd_open(pid, 0): a descriptor that can never refer to a recycled PID. */
  readonly pidfdOpen: (pid: number) => Effect.Effect<number, Errno>
  /** pidfd_send_signal(pidfd, signal, NULL, 0). */
  readonly pidfdSendSignal: (pidfd: number, signal: number) => Effect.Effect<void, Errno>
  /**
   * poll(2) for readability, up to `timeoutMillis`, on a libuv pool thread.
   * A pidfd turns readable when its process exits (zombie included).
   */
  readonly waitReadable: (fd: number, timeoutMillis: number) => Effect.Effect<boolean, Errno>
}

export class Libc extends Context.Tag("sipid/Libc")<Libc, LibcService>() {}

const errnoNames = new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]))

const LOCK_EX = 2
const LOCK_NB = 4
const POLLIN = 1

const bind = () => {
  // koffi is CommonJS; a require keeps the ESM bundle free of interop shims.
  const koffi = createRequire(import.meta.url)("koffi") as typeof import("koffi")
  const libc = koffi.load("libc.so.6")
  const pollfd = koffi.struct("sipid_pollfd", { fd: "int", events: "short", revents: "short" })
  const errno = (syscall: string) => new Errno({ syscall, code: errnoNames.get(koffi.errno()) ?? `errno ${koffi.errno()}` })
  const flock = libc.func("int flock(int fd, int operation)")
  const pidfdOpen = libc.func("int pidfd_open(int pid, unsigned int flags)")
  const pidfdSendSignal = libc.func("int pidfd_send_signal(int pidfd, int sig, void *info, unsigned int flags)")
  const poll = libc.func("poll", "int", [koffi.inout(koffi.pointer(pollfd)), "unsigned long", "int"])

  const service: LibcService = {
    tryLockExclusive: (fd) =>
      Effect.suspend(() => {
        if (flock(fd, LOCK_EX | LOCK_NB) === 0) return Effect.succeed(true)
        const error = errno("flock")
        return error.code === "EWOULDBLOCK" || error.code === "EAGAIN" ? Effect.succeed(false) : Effect.fail(error)
      }),
    pidfdOpen: (pid) =>
      Effect.suspend(() => {
        const fd = pidfdOpen(pid, 0) as number
        return fd >= 0 ? Effect.succeed(fd) : Effect.fail(errno("pidfd_open"))
      }),
    pidfdSendSignal: (pidfd, signal) =>
      Effect.suspend(() =>
        pidfdSendSignal(pidfd, signal, null, 0) === 0 ? Effect.void : Effect.fail(errno("pidfd_send_signal"))
      ),
    waitReadable: (fd, timeoutMillis) =>
      Effect.async<boolean, Errno>((resume) => {
        const request = { fd, events: POLLIN, revents: 0 }
        poll.async(request, 1, Math.max(0, Math.ceil(timeoutMillis)), (error: unknown, result: number) => {
          if (error) resume(Effect.die(error))
          else if (result < 0) {
            const failure = errno("poll")
            resume(failure.code === "EINTR" ? Effect.succeed(false) : Effect.fail(failure))
          } else resume(Effect.succeed(result > 0))
        })
      })
  }
  return service
}

// koffi registers struct names process-wide, so binding twice fails with
// "Duplicate type name": every build of the layer shares one binding.
let bound: LibcService | undefined

/** Loads libc on first use of the layer (koffi costs a few ms to import). */
export const LibcLive: Layer.Layer<Libc> = Layer.sync(Libc, () => (bound ??= bind()))
