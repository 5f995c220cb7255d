/**
 * libc through `bun:ffi`, for the Bun executable: built into the runtime,
 * so nothing is unpacked or loaded from disk but libc itself.
 */
import { Either } from "effect"
import type { SystemError } from "../errors.js"
import { noLibc, type RawLibc, requireModule } from "./binding.js"

/** struct pollfd: int fd, short events, short revents. */
const pollfdBytes = 8
const POLLIN = 1

export const bind = (): Either.Either<RawLibc, SystemError> =>
  Either.try({
    try: (): RawLibc => {
      const { dlopen, ptr, read } = requireModule("bun:ffi") as typeof import("bun:ffi")
      const { symbols } = dlopen("libc.so.6", {
        flock: { args: ["i32", "i32"], returns: "i32" },
        // Declared with fixed arguments: integer varargs are passed alike on x86-64 and arm64 Linux.
        syscall: { args: ["i64", "i64", "i64", "i64", "i64", "i64"], returns: "i64_fast" },
        poll: { args: ["ptr", "u64", "i32"], returns: "i32" },
        __errno_location: { args: [], returns: "ptr" }
      })
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
        errno: () => read.i32(symbols.__errno_location()!, 0)
      }
    },
    catch: noLibc
  })
