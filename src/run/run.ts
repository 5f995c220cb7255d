/**
 * `sipid run`: claim the pidfile for this very process, then become the
 * job with execve(2), so the pidfile names the job and never a wrapper:
 *
 * 1. COMMAND is found and checked before anything else (127, 126: nothing claimed);
 * 2. the claim, as `claim` makes it (a live owner: exit 1, nothing run);
 * 3. what a stale pidfile's job left running is stopped first (`tree`), or named in a warning;
 * 4. the process takes on the job's user, limits, directory, descriptors (exec.ts);
 * 5. execve. If it fails, the pidfile and its record are withdrawn again.
 *
 * The pidfile stays locked from the claim until the exec closes its
 * descriptor: no stop can come between the claim and the job, and a stop
 * signal to sipid meanwhile withdraws the claim.
 */
import { Effect, Option } from "effect"
import { closeSync, constants, fstatSync, openSync } from "node:fs"
import { basename, dirname } from "node:path"
import { OsError, OsSubject } from "../os/OsError.js"
import { osError } from "../os/errno.js"
import { PidfileInvalid } from "../pidfile/errors.js"
import { Libc } from "../native/Libc.js"
import { claimHeld } from "../pidfile/claim.js"
import { codeOf } from "../pidfile/liveCalls.js"
import { PidfileLock } from "../pidfile/lock.js"
import { pinDirectory } from "../pidfile/pinnedDirectory.js"
import { removeIfStillNames } from "../pidfile/release.js"
import type { Pid } from "../process/Pid.js"
import type { JobStopOptions } from "../process/stopJob.js"
import { type AccountSpec, readAccount } from "./accounts.js"
import { resolveCommand } from "./command.js"
import { type Environment, environmentLines, jobEnvironment } from "./environment.js"
import { becomeTheJob } from "./exec.js"
import type { ProcessSettings } from "./settings.js"

export interface RunRequest extends ProcessSettings {
  /** The pidfile. */
  readonly path: string
  /** This process: the one that becomes the job. */
  readonly pid: Pid
  /** COMMAND and its arguments. */
  readonly argv: readonly [string, ...Array<string>]
  /** The environment sipid was given (`callersEnvironment`). */
  readonly callers: Environment
  readonly clearEnv: boolean
  readonly env: ReadonlyArray<readonly [string, string]>
  readonly user: Option.Option<AccountSpec>
  readonly stdout: Option.Option<string>
  readonly stderr: Option.Option<string>
  /** Stop what a stale pidfile's job left running before claiming; undefined leaves it, with a warning (`--keep-remains`). */
  readonly tree: JobStopOptions | undefined
  /** Runs right before execve (the `--background` copy's report). */
  readonly beforeExec: Effect.Effect<void>
}

/**
 * Opens a log file for the job, as root, before it drops privileges (so a
 * root-owned log directory works): appended to, created 0640. Not through a
 * symbolic link another user may have placed on the way (the pidfile's
 * rule, `pinDirectory`), nor through one as the file itself, nor a file with
 * another name: root opening what the job's user planted in its log
 * directory (a link to /etc/shadow, a directory linked to /etc) would hand
 * the job that file. A FIFO or a device (/dev/null) is fine: they hold no file.
 */
const openLog = (path: string) =>
  Effect.try({
    try: () => {
      const directory = pinDirectory(dirname(path), { reportAs: path, callerUid: process.geteuid!() })
      let fd: number
      try {
        // O_NONBLOCK: a FIFO without a reader fails at once instead of hanging (the job gets its descriptor blocking).
        fd = openSync(directory.entry(basename(path)), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o640)
      } finally {
        directory.close()
      }
      const stats = fstatSync(fd)
      if (!stats.isFile() || stats.nlink === 1) return fd
      closeSync(fd)
      throw new OsError({ operation: "open for append", subject: OsSubject.File({ path }), code: "EMLINK", detail: `a file with ${stats.nlink} hard links, which may be another name of any file` })
    },
    catch: (cause) =>
      cause instanceof PidfileInvalid
        ? new OsError({ operation: "open for append", subject: OsSubject.File({ path }), code: "ELOOP", detail: cause.reason, cause })
        : codeOf(cause) === "ELOOP"
        ? new OsError({ operation: "open for append", subject: OsSubject.File({ path }), code: "ELOOP", detail: "a symbolic link, which sipid does not follow", cause })
        : osError("open for append", path, cause)
  })

const openLogIfAsked = (path: Option.Option<string>) => Effect.transposeOption(Option.map(path, openLog))

/**
 * A session of its own, as setsid(1) gives (`--background`'s copy has one
 * already): kill --tree then finds what the job leaves behind by its
 * session, and its identity record names the autogroup that proves it. A
 * process that leads a process group (under a shell with job control)
 * cannot, and keeps its group.
 */
const ownSession = Effect.flatMap(Libc, (libc) => Effect.catchTag(libc.setsid, "Errno", () => Effect.void))

export const run = (request: RunRequest) =>
  Effect.gen(function*() {
    const { argv, path, pid } = request
    yield* ownSession
    const account = yield* Effect.transposeOption(Option.map(request.user, readAccount))
    const user = Option.getOrUndefined(account)
    const environment = jobEnvironment({ callers: request.callers, clear: request.clearEnv, user, set: request.env })
    const program = yield* resolveCommand(argv[0], {
      searchPath: environment["PATH"],
      cwd: Option.getOrElse(request.chdir, () => process.cwd()),
      runner: user ?? { uid: process.geteuid!(), groups: process.getgroups!() }
    })

    yield* Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const held = yield* restore(claimHeld({ path, pid, ...(request.tree && { tree: request.tree }) }))
        // From here on the claim is withdrawn unless the exec replaces this process first.
        yield* Effect.addFinalizer(() =>
          removeIfStillNames(PidfileLock.Existing({ path, file: held.file }), pid).pipe(
            Effect.catchAll((error) => Effect.logWarning(`could not withdraw the claim: ${error.message}`))
          )
        )
        const [stdout, stderr] = yield* Effect.all([openLogIfAsked(request.stdout), openLogIfAsked(request.stderr)])
        yield* Effect.logInfo(`starting ${program} as process ${pid}${user === undefined ? "" : ` (user ${user.name})`}`)
        return yield* becomeTheJob({
          command: argv[0],
          path: program,
          argv,
          environment: environmentLines(environment),
          account,
          chdir: request.chdir,
          umask: request.umask,
          limits: request.limits,
          nice: request.nice,
          noNewPrivs: request.noNewPrivs,
          stdout,
          stderr,
          beforeExec: request.beforeExec
        })
      })
    ).pipe(Effect.scoped)
  }).pipe(Effect.annotateLogs({ pid: request.pid, pidfile: request.path }))
