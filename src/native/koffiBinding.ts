/**
 * libc through koffi, for Node (the npm bin and the library): its prebuilt
 * binary ships in a per-platform optional package, so no compiler is needed.
 */
import { Either } from "effect"
import { OsError, OsSubject } from "../os/OsError.js"
import { noLibc, platform, type RawLibc, reasonOf, requireModule, SIG_SETMASK, sigsetBytes } from "./binding.js"

const nativePackage = `@koromix/koffi-${platform}`

const loadKoffi = () =>
  Either.try({
    try: () => requireModule("koffi") as typeof import("koffi"),
    // One line for the log: which platform, what is missing, how to get it.
    catch: (cause) =>
      new OsError({
        operation: "load native code",
        subject: OsSubject.File({ path: "koffi" }),
        code: "ENATIVE",
        detail: `no native binary for ${platform} (${reasonOf(cause)})`,
        hint: `it comes from koffi's optional dependency ${nativePackage}: reinstall sipid without --omit=optional, or npm install ${nativePackage} at koffi's version`,
        cause
      })
  })

export const bind = (): Either.Either<RawLibc, OsError> =>
  Either.flatMap(loadKoffi(), (ffi) =>
    Either.try({
      try: (): RawLibc => {
        const libc = ffi.load("libc.so.6")
        // koffi registers struct names process-wide: bind is called once per process (see Libc.ts).
        const pollfd = ffi.struct("sipid_pollfd", { fd: "int", events: "short", revents: "short" })
        const poll = libc.func("poll", "int", [ffi.inout(ffi.pointer(pollfd)), "unsigned long", "int"])
        const syscall = libc.func("long syscall(long number, ...)")
        const execve = libc.func("int execve(const char *path, const char **argv, const char **envp)")
        const setgroups = libc.func("int setgroups(size_t size, const uint32_t *list)")
        const setrlimit = libc.func("int setrlimit(int resource, const uint64_t *limit)")
        const prctl = libc.func("int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)")
        const sigprocmask = libc.func("int sigprocmask(int how, const uint8_t *set, void *old)")
        const signal = libc.func("intptr_t signal(int signal, intptr_t disposition)")
        return {
          flock: libc.func("int flock(int fd, int operation)"),
          syscall: (number, ...args) => syscall(number, ...args.flatMap((arg) => ["long", arg])),
          poll: (requests, timeoutMillis) => {
            const structs = requests.map(({ fd }) => ({ fd, events: POLLIN, revents: 0 }))
            const result = poll(structs, structs.length, timeoutMillis)
            structs.forEach((struct, index) => (requests[index]!.revents = struct.revents))
            return result
          },
          errno: () => ffi.errno(),
          // koffi passes a JS array as a pointer to its elements; the NULL ends the list for execve.
          execve: (path, argv, env) => execve(path, [...argv, null], [...env, null]),
          setgroups: (gids) => setgroups(gids.length, gids.length === 0 ? null : [...gids]),
          setresgid: libc.func("int setresgid(uint32_t real, uint32_t effective, uint32_t saved)"),
          setresuid: libc.func("int setresuid(uint32_t real, uint32_t effective, uint32_t saved)"),
          setrlimit: (resource, soft, hard) => setrlimit(resource, [soft, hard]),
          prctl: (option, value) => prctl(option, value, 0, 0, 0),
          setpriority: libc.func("int setpriority(int which, uint32_t who, int priority)"),
          setsid: libc.func("int setsid(void)"),
          umask: libc.func("uint32_t umask(uint32_t mask)"),
          chdir: libc.func("int chdir(const char *path)"),
          fcntl: libc.func("int fcntl(int fd, int command, long arg)"),
          dup2: libc.func("int dup2(int from, int to)"),
          signal: (number, disposition) => Number(signal(number, disposition)),
          unblockSignals: () => sigprocmask(SIG_SETMASK, Buffer.alloc(sigsetBytes), null)
        }
      },
      catch: noLibc
    }))

const POLLIN = 1
