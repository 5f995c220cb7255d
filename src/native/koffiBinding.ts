/**
 * libc through koffi, for Node (the npm bin and the library): its prebuilt
 * binary ships in a per-platform optional package, so no compiler is needed.
 */
import { Either } from "effect"
import { SystemError } from "../errors.js"
import { noLibc, platform, type RawLibc, reasonOf, requireModule } from "./binding.js"

const nativePackage = `@koromix/koffi-${platform}`

const loadKoffi = () =>
  Either.try({
    try: () => requireModule("koffi") as typeof import("koffi"),
    // One line for the log: which platform, what is missing, how to get it.
    catch: (cause) =>
      new SystemError({
        operation: "load native code",
        path: "koffi",
        code: "ENATIVE",
        detail: `no native binary for ${platform} (${reasonOf(cause)})`,
        hint: `it comes from koffi's optional dependency ${nativePackage}: reinstall sipid without --omit=optional, or npm install ${nativePackage} at koffi's version`,
        cause
      })
  })

export const bind = (): Either.Either<RawLibc, SystemError> =>
  Either.flatMap(loadKoffi(), (ffi) =>
    Either.try({
      try: (): RawLibc => {
        const libc = ffi.load("libc.so.6")
        // koffi registers struct names process-wide: bind is called once per process (see Libc.ts).
        const pollfd = ffi.struct("sipid_pollfd", { fd: "int", events: "short", revents: "short" })
        const poll = libc.func("poll", "int", [ffi.inout(ffi.pointer(pollfd)), "unsigned long", "int"])
        const syscall = libc.func("long syscall(long number, ...)")
        return {
          flock: libc.func("int flock(int fd, int operation)"),
          syscall: (number, ...args) => syscall(number, ...args.flatMap((arg) => ["long", arg])),
          poll: (requests, timeoutMillis) => {
            const structs = requests.map(({ fd }) => ({ fd, events: POLLIN, revents: 0 }))
            const result = poll(structs, structs.length, timeoutMillis)
            structs.forEach((struct, index) => (requests[index]!.revents = struct.revents))
            return result
          },
          errno: () => ffi.errno()
        }
      },
      catch: noLibc
    }))

const POLLIN = 1
