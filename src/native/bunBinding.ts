/**
 * libc through `bun:ffi`, for the Bun executable: built into the runtime,
 * so nothing is unpacked or loaded from disk but libc itself.
 *
 * bun:ffi passes numbers and pointers only: a string becomes a
 * NUL-terminated buffer, an array of strings a NULL-terminated array of
 * pointers to such buffers. Every buffer is held in a local until the call
 * returns, so the collector cannot free what C still reads.
 */
import { Either } from "effect"
import type { OsError } from "../os/OsError.js"
import { noLibc, type RawLibc, requireModule, SIG_SETMASK, sigsetBytes } from "./binding.js"

/** struct pollfd: int fd, short events, short revents. */
const pollfdBytes = 8
const POLLIN = 1

export const bind = (): Either.Either<RawLibc, OsError> =>
  Either.try({
    try: (): RawLibc => {
      const { dlopen, ptr, read } = requireModule("bun:ffi") as typeof import("bun:ffi")
      const { symbols } = dlopen("libc.so.6", {
        flock: { args: ["i32", "i32"], returns: "i32" },
        // Declared with fixed arguments: integer varargs are passed alike on x86-64 and arm64 Linux.
        syscall: { args: ["i64", "i64", "i64", "i64", "i64", "i64"], returns: "i64_fast" },
        poll: { args: ["ptr", "u64", "i32"], returns: "i32" },
        __errno_location: { args: [], returns: "ptr" },
        execve: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
        setgroups: { args: ["u64", "ptr"], returns: "i32" },
        setresgid: { args: ["u32", "u32", "u32"], returns: "i32" },
        setresuid: { args: ["u32", "u32", "u32"], returns: "i32" },
        setrlimit: { args: ["i32", "ptr"], returns: "i32" },
        prctl: { args: ["i32", "u64", "u64", "u64", "u64"], returns: "i32" },
        setpriority: { args: ["i32", "u32", "i32"], returns: "i32" },
        setsid: { args: [], returns: "i32" },
        umask: { args: ["u32"], returns: "u32" },
        chdir: { args: ["ptr"], returns: "i32" },
        fcntl: { args: ["i32", "i32", "i64"], returns: "i32" },
        dup2: { args: ["i32", "i32"], returns: "i32" },
        signal: { args: ["i32", "i64"], returns: "i64_fast" },
        sigprocmask: { args: ["i32", "ptr", "ptr"], returns: "i32" }
      })
      const cString = (text: string) => Buffer.from(`${text}\0`)
      /** The pointer array and the strings it points into, which must outlive the call. */
      const cStrings = (texts: ReadonlyArray<string>) => {
        const strings = texts.map(cString)
        const array = Buffer.alloc((strings.length + 1) * 8)
        strings.forEach((string, index) => array.writeBigUInt64LE(BigInt(ptr(string)), index * 8))
        return { array, strings }
      }
      return {
        flock: (fd, operation) => symbols.flock(fd, operation),
        syscall: (number, ...args) => Number(symbols.syscall(number, ...[...args, 0, 0, 0, 0, 0].slice(0, 5))),
        poll: (requests, timeoutMillis) => {
          const array = Buffer.alloc(Math.max(1, requests.length) * pollfdBytes)
          requests.forEach(({ fd }, index) => {
            array.writeInt32LE(fd, index * pollfdBytes)
            array.writeInt16LE(POLLIN, index * pollfdBytes + 4)
          })
          const result = symbols.poll(ptr(array), requests.length, timeoutMillis)
          requests.forEach((request, index) => (request.revents = array.readInt16LE(index * pollfdBytes + 6)))
          return result
        },
        errno: () => read.i32(symbols.__errno_location()!, 0),
        execve: (path, argv, env) => {
          const file = cString(path)
          const args = cStrings(argv)
          const environment = cStrings(env)
          const result = symbols.execve(ptr(file), ptr(args.array), ptr(environment.array))
          // Only here may the collector take them.
          void [file, args.strings, environment.strings]
          return result
        },
        setgroups: (gids) => {
          const list = Buffer.alloc(Math.max(1, gids.length) * 4)
          gids.forEach((gid, index) => list.writeUInt32LE(gid, index * 4))
          return symbols.setgroups(gids.length, ptr(list))
        },
        setresgid: (real, effective, saved) => symbols.setresgid(real, effective, saved),
        setresuid: (real, effective, saved) => symbols.setresuid(real, effective, saved),
        setrlimit: (resource, soft, hard) => {
          const limit = Buffer.alloc(16)
          limit.writeBigUInt64LE(soft, 0)
          limit.writeBigUInt64LE(hard, 8)
          return symbols.setrlimit(resource, ptr(limit))
        },
        prctl: (option, value) => symbols.prctl(option, value, 0, 0, 0),
        setpriority: (which, who, priority) => symbols.setpriority(which, who, priority),
        setsid: () => symbols.setsid(),
        umask: (mask) => symbols.umask(mask),
        chdir: (path) => {
          const file = cString(path)
          const result = symbols.chdir(ptr(file))
          void file
          return result
        },
        fcntl: (fd, command, arg) => symbols.fcntl(fd, command, arg),
        dup2: (from, to) => symbols.dup2(from, to),
        signal: (signal, disposition) => Number(symbols.signal(signal, disposition)),
        unblockSignals: () => {
          const empty = Buffer.alloc(sigsetBytes)
          const result = symbols.sigprocmask(SIG_SETMASK, ptr(empty), null)
          void empty
          return result
        }
      }
    },
    catch: noLibc
  })
