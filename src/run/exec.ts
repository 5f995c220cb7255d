/**
 * The last steps of `sipid run`: the process takes on what the job runs
 * with, then execve(2) makes it the job, keeping its PID (the one the
 * pidfile names) and nothing else of sipid's:
 *
 * - groups (setgroups, then setresgid) while still root;
 * - descriptors: only stdin, stdout and stderr pass (sipid's runtime marks
 *   most descriptors close-on-exec when it starts, stdin to stderr
 *   included, and leaves stdio non-blocking); `--stdout` and `--stderr`
 *   take their places. Done before the limits: a low nofile would leave
 *   sipid unable to list its descriptors;
 * - limits, niceness and umask, still as root (a raised hard limit needs it);
 * - the user: real and effective uid the user's, the saved one still root's
 *   until the exec, which copies the effective uid into it. So the job can
 *   never become root again, while sipid, should the exec fail, can, to
 *   withdraw the root-owned pidfile it claimed;
 * - the working directory, entered as the user; no_new_privs;
 * - signals: none blocked, none ignored (the runtimes ignore SIGPIPE and
 *   SIGXFSZ), so every one has its default action; handled ones are reset
 *   by the exec itself.
 *
 * If the exec fails, what sipid needs to report and clean up is undone
 * (root, its limits, stderr, SIGPIPE ignored), and the failure says why.
 */
import { Effect, Option } from "effect"
import { readFileSync } from "node:fs"
import { openDescriptors } from "../os/descriptors.js"
import { type OsError, OsSubject } from "../os/OsError.js"
import { osError } from "../os/errno.js"
import { CommandNotExecutable, CommandNotFound } from "./errors.js"
import { Libc } from "../native/Libc.js"
import type { Account } from "./accounts.js"
import { limitValue, type ProcessSettings } from "./settings.js"

export interface JobSetup extends ProcessSettings {
  /** COMMAND as given, and the file it resolved to. */
  readonly command: string
  readonly path: string
  /** argv, COMMAND first. */
  readonly argv: ReadonlyArray<string>
  /** `NAME=VALUE` lines. */
  readonly environment: ReadonlyArray<string>
  readonly account: Option.Option<Account>
  /** Descriptors opened for `--stdout` and `--stderr`. */
  readonly stdout: Option.Option<number>
  readonly stderr: Option.Option<number>
  /** Runs right before the signals are reset and execve: nothing that is likely to fail follows it. */
  readonly beforeExec: Effect.Effect<void>
}

const F_DUPFD_CLOEXEC = 1030
const F_GETFD = 1
const F_SETFD = 2
const F_GETFL = 3
const F_SETFL = 4
const FD_CLOEXEC = 1
const O_NONBLOCK = 0o4000
const SIGKILL = 9
const SIGSTOP = 19

/** The signals this process ignores (/proc/self/status `SigIgn`, a hexadecimal mask with bit N-1 for signal N). */
export const ignoredSignals = (status: string): ReadonlyArray<number> => {
  const mask = BigInt(`0x${/^SigIgn:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? "0"}`)
  return Array.from({ length: 64 }, (_, bit) => bit + 1).filter((signal) => (mask >> BigInt(signal - 1)) & 1n && signal !== SIGKILL && signal !== SIGSTOP)
}

/** A limit's soft and hard values in the text of /proc/self/limits, whose rows follow the resources' numbers after a heading. */
export const limitNow = (limits: string, resource: number): { readonly soft: bigint; readonly hard: bigint } | undefined => {
  const [soft, hard] = (limits.split("\n")[resource + 1] ?? "").slice(26).trim().split(/\s+/).map(limitValue)
  return soft === undefined || hard === undefined ? undefined : { soft, hard }
}

/** What the job runs with, applied in the order the module's comment gives; a failure is undone as far as cleaning up needs. */
export const becomeTheJob = (setup: JobSetup): Effect.Effect<never, OsError | CommandNotFound | CommandNotExecutable, Libc> =>
  Effect.suspend(() => {
    /** What to take back if a later step fails, in the order done. */
    const undo: Array<Effect.Effect<unknown, unknown>> = []
    return Effect.onError(settle(setup, undo), () => Effect.forEach(undo.reverse(), Effect.ignore, { discard: true }))
  })

const settle = (setup: JobSetup, undo: Array<Effect.Effect<unknown, unknown>>) =>
  Effect.gen(function*() {
    const libc = yield* Libc
    /** One set-up call; a `subject` in words is the job's process (`the job`, `user vcap`, `descriptor 3`). */
    const step = <A>(what: string, subject: OsSubject | string, effect: Effect.Effect<A, unknown>) =>
      Effect.mapError(effect, (cause) => osError(what, typeof subject === "string" ? OsSubject.JobSetUp({ what: subject }) : subject, cause))
    const account = Option.getOrUndefined(setup.account)
    const user = account === undefined ? "" : `user ${account.name}`

    // Copies of stdout and stderr (those open), made while every limit is still sipid's, to put back should the exec fail.
    const saved = yield* Effect.forEach([1, 2], (fd) => Effect.option(libc.fcntl(fd, F_DUPFD_CLOEXEC, 3)))
    if (account !== undefined) {
      yield* step("setgroups", user, libc.setgroups(account.groups))
      yield* step("setresgid", user, libc.setresgid(account.gid, account.gid, account.gid))
    }

    const redirects = [[setup.stdout, 1], [setup.stderr, 2]] as const
    for (const [from, to] of redirects) {
      if (Option.isNone(from)) continue
      yield* step("dup2", `descriptor ${to}`, libc.dup2(from.value, to))
      const copy = saved[to - 1]!
      if (Option.isSome(copy)) undo.push(libc.dup2(copy.value, to))
    }
    for (const fd of openDescriptors()) {
      const flags = yield* step("fcntl", `descriptor ${fd}`, libc.fcntl(fd, F_GETFD, 0)).pipe(
        // Gone since the listing: the directory's own descriptor.
        Effect.catchAll(() => Effect.succeed(undefined))
      )
      if (flags === undefined) continue
      yield* step("fcntl", `descriptor ${fd}`, libc.fcntl(fd, F_SETFD, fd <= 2 ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC))
      if (fd <= 2) {
        const status = yield* step("fcntl", `descriptor ${fd}`, libc.fcntl(fd, F_GETFL, 0))
        yield* step("fcntl", `descriptor ${fd}`, libc.fcntl(fd, F_SETFL, status & ~O_NONBLOCK))
      }
    }
    // Read now: from the limits on, sipid may not open another file (nofile=10), yet it must be
    // able to withdraw the claim should the exec fail, so the limits it had are put back first.
    const ignored = ignoredSignals(readFileSync("/proc/self/status", "utf8"))
    const before = readFileSync("/proc/self/limits", "utf8")

    for (const limit of setup.limits) {
      const previous = limitNow(before, limit.resource)
      yield* step(`set limit ${limit.name}`, "the job", libc.setrlimit(limit.resource, limit.soft, limit.hard))
      if (previous !== undefined) undo.push(libc.setrlimit(limit.resource, previous.soft, previous.hard))
    }
    if (Option.isSome(setup.nice)) yield* step("setpriority", "the job", libc.setNice(setup.nice.value))
    if (Option.isSome(setup.umask)) yield* libc.umask(setup.umask.value)
    if (account !== undefined) {
      const [real, effective] = [process.getuid!(), process.geteuid!()]
      yield* step("setresuid", user, libc.setresuid(account.uid, account.uid, effective))
      undo.push(libc.setresuid(real, effective, effective))
    }
    if (Option.isSome(setup.chdir)) yield* step("chdir", OsSubject.File({ path: setup.chdir.value }), libc.chdir(setup.chdir.value))
    if (setup.noNewPrivs) yield* step("prctl(PR_SET_NO_NEW_PRIVS)", "the job", libc.setNoNewPrivs)

    // Before SIGPIPE takes its default action: a report to a reader that is gone must not end sipid.
    yield* setup.beforeExec
    yield* step("sigprocmask", "the job", libc.unblockSignals)
    undo.push(Effect.forEach(ignored, (signal) => libc.setSignal(signal, "ignore")))
    yield* Effect.forEach(ignored, (signal) => step("signal", "the job", libc.setSignal(signal, "default")))
    return yield* libc.execve(setup.path, setup.argv, setup.environment).pipe(
      Effect.mapError((errno) => {
        const { code, detail } = osError("exec", setup.path, errno)
        return code === "ENOENT"
          ? new CommandNotFound({ command: setup.command, searched: [], detail: `exec ${setup.path} failed: ${detail} (is its #! interpreter missing?)` })
          : new CommandNotExecutable({
            command: setup.command,
            path: setup.path,
            // libuv has no text for it: a file the kernel cannot run.
            reason: `exec failed: ${code === "ENOEXEC" ? "ENOEXEC (not a program: a script needs a #! line)" : detail}`
          })
      })
    )
  })
