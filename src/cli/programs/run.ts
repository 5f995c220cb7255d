/**
 * `sipid run`: the command line's values for the program of src/run/run.ts,
 * or, with --background, a detached copy of sipid that runs it (background.ts).
 */
import { Effect, Layer } from "effect"
import { LibcLive } from "../../native/Libc.js"
import { ownPid } from "../../pidfile/release.js"
import { callersEnvironment } from "../../run/environment.js"
import { run } from "../../run/run.js"
import { SipidLive } from "../../SipidLive.js"
import { reportExecing, reportFailure, startInBackground, statusChannel } from "../background.js"
import type * as Commands from "../commands.js"
import { ExitCode } from "../exitCodes.js"
import { ExitStatus } from "../runCommand.js"
import type { Values } from "../spec.js"

/** A second start while the job runs is no mistake (a ctl script run twice): exit 1, and nothing to fix. */
const alreadyRunning = (pid: number) =>
  Effect.zipRight(Effect.logWarning(`process ${pid} runs the job already; not started again`), new ExitStatus({ code: ExitCode.refused }))

export const program = (options: Values<typeof Commands.run.options>, argv: ReadonlyArray<string>) =>
  options.background ? startInBackground(argv) : runHere(options)

const runHere = (options: Values<typeof Commands.run.options>) =>
  Effect.gen(function*() {
    const channel = statusChannel(process.env)
    const pid = yield* ownPid
    yield* run({
      path: options.pidFile,
      pid,
      argv: options.command,
      // Behind the release executable's launcher (Bun), whose changes the job must not see.
      callers: callersEnvironment(process.env, typeof process.versions.bun === "string"),
      clearEnv: options.clearEnv,
      env: options.env,
      user: options.user,
      chdir: options.chdir,
      umask: options.umask,
      limits: options.limit,
      nice: options.nice,
      noNewPrivs: options.noNewPrivs,
      stdout: options.stdout,
      stderr: options.stderr,
      tree: options.keepRemains ? undefined : {},
      beforeExec: channel === undefined ? Effect.void : reportExecing(channel)
    }).pipe(
      Effect.catchTag("PidfileOwned", ({ pid }) => alreadyRunning(pid)),
      Effect.tapErrorCause(() => (channel === undefined ? Effect.void : reportFailure(channel)))
    )
  }).pipe(Effect.provide(Layer.merge(SipidLive, LibcLive)))
