/**
 * `sipid run --background`: what stock monit's start program needs, a
 * command that returns once the job runs, and says so truthfully.
 *
 * sipid starts a fresh copy of itself (never the runtime forked raw, which
 * is multithreaded) in a new session, detached, with stdin from /dev/null,
 * the same arguments but --background, and one more descriptor: the write
 * end of a status channel. That copy does all of `run` and, right before
 * execve, writes "E" on it (and "F" if the exec then fails). The channel is
 * close-on-exec, so it ends the moment the exec succeeds: "E" and the end
 * mean the job runs; anything else means the copy failed, and its exit
 * code (its own log lines already say why) becomes this one's.
 */
import { spawn } from "node:child_process"
import { writeSync } from "node:fs"
import { constants } from "node:os"
import { Effect } from "effect"
import { osError } from "../os/errno.js"
import { statusFdVariable } from "../run/environment.js"
import { ExitStatus } from "./runCommand.js"

/** The descriptor the copy's status channel has in it. */
const statusFd = 3

/** What the copy writes right before execve, and after an exec that failed. */
const execing = "E"
const failed = "F"

/** `argv` without `--background` (only sipid's own part: the job may take a --background of its own). */
const withoutBackground = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const at = argv.indexOf("--background")
  const end = argv.indexOf("--")
  return at < 0 || (end >= 0 && at > end) ? argv : [...argv.slice(0, at), ...argv.slice(at + 1)]
}

/** How this sipid was started: the Bun executable alone, or node with the npm bin's script. */
const sipidItself = (): readonly [string, ...Array<string>] =>
  typeof process.versions.bun === "string" ? [process.execPath] : [process.execPath, ...process.execArgv, process.argv[1]!]

/** The copy's exit, as a shell reports it: its code, or 128 + the number of the signal that ended it. */
const exitCodeOf = (code: number | null, signal: NodeJS.Signals | null) => code ?? 128 + (signal === null ? 0 : constants.signals[signal])

/** Runs sipid `argv` (a `run --background` command line) as a detached copy; done once its job runs. */
export const startInBackground = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const [file, ...before] = sipidItself()
    const child = yield* Effect.try({
      try: () =>
        spawn(file, [...before, ...withoutBackground(argv)], {
          detached: true,
          stdio: ["ignore", "inherit", "inherit", "pipe"],
          env: { ...process.env, [statusFdVariable]: String(statusFd) }
        }),
      catch: (cause) => osError("start", file, cause)
    })
    const channel = child.stdio[statusFd]!
    const report = yield* Effect.async<string, ReturnType<typeof osError>>((resume) => {
      let text = ""
      channel.on("data", (chunk) => (text += String(chunk)))
      channel.on("end", () => resume(Effect.succeed(text)))
      child.on("error", (cause) => resume(Effect.fail(osError("start", file, cause))))
    }).pipe(
      // monit's start timeout (SIGTERM) stops this wait, not the copy.
      Effect.onInterrupt(() => Effect.logWarning(`process ${child.pid} carries on starting the job in the background`))
    )
    if (report === execing) {
      child.unref()
      channel.destroy()
      return yield* Effect.logInfo(`process ${child.pid} runs the job in the background`)
    }
    const code = yield* Effect.async<number>((resume) => {
      if (child.exitCode !== null || child.signalCode !== null) resume(Effect.succeed(exitCodeOf(child.exitCode, child.signalCode)))
      else child.once("exit", (code, signal) => resume(Effect.succeed(exitCodeOf(code, signal))))
    })
    return yield* new ExitStatus({ code })
  })

/** In the copy: the status channel its starter passed, if any. */
export const statusChannel = (env: Readonly<Record<string, string | undefined>>): number | undefined =>
  env[statusFdVariable] === String(statusFd) ? statusFd : undefined

/** Reports on the channel; a starter that is gone (EPIPE) changes nothing. */
const report = (fd: number, text: string) =>
  Effect.sync(() => {
    try {
      writeSync(fd, text)
    } catch {
      // The starter was stopped (its start timeout): the copy goes on alone.
    }
  })

export const reportExecing = (fd: number) => report(fd, execing)
export const reportFailure = (fd: number) => report(fd, failed)
