/**
 * Runs the built `sipid` the way a BOSH script does: the npm bin under Node,
 * or, with SIPID_CLI=executable in the environment (`npm test` runs the CLI
 * tests both ways), the release tarball's bin/sipid, unpacked outside the
 * repository.
 */
import { execFile, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { unpackDist } from "./dist.js"
import { installed } from "./tools.js"

export const sipidBin = fileURLToPath(new URL("../../bin/sipid.js", import.meta.url))

/** Whether these tests run the release executable rather than the npm bin. */
export const testsExecutable = process.env.SIPID_CLI === "executable"

let unpacked: Promise<string> | undefined

/** The command line that starts the sipid under test: its file and the arguments before sipid's own. */
export const sipidCommand = async (): Promise<readonly [file: string, ...args: Array<string>]> =>
  testsExecutable ? [join(await (unpacked ??= unpackDist()), "bin", "sipid")] : [process.execPath, sipidBin]

export interface RunResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv
  /** Another build of sipid to run, such as the single executable; the npm bin by default. */
  readonly executable?: string
  readonly cwd?: string
  /** Sees stderr as it comes, to act on a log line while sipid runs. */
  readonly onStderr?: (text: string) => void
}

export const runSipid = async (args: ReadonlyArray<string>, options: RunOptions = {}): Promise<RunResult> => {
  const [file, ...before] = options.executable === undefined ? await sipidCommand() : [options.executable]
  return new Promise((resolve) => {
    const child = execFile(file, [...before, ...args], { env: options.env ?? process.env, cwd: options.cwd }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }))
    child.stdin?.end()
    if (options.onStderr !== undefined) child.stderr?.on("data", (chunk) => options.onStderr!(String(chunk)))
  })
}

/** strace, which makes a system call fail on demand (`-e inject=`); undefined where it is not installed. */
export const strace: string | undefined = installed("strace", "-V") ? "strace" : undefined

/**
 * Runs sipid with every call of `syscalls` (comma-separated) failing with
 * `errno`, through `strace -f -e inject=`; the caller checks `strace` first.
 */
export const runSipidFailing = async (syscalls: string, errno: string, args: ReadonlyArray<string>): Promise<RunResult> =>
  runSipid(["-f", "-o", "/dev/null", "-e", `trace=${syscalls}`, "-e", `inject=${syscalls}:error=${errno}`, ...await sipidCommand(), ...args], {
    executable: strace!
  })

/**
 * Runs a bash script inside a new PID namespace with its own /proc, so a
 * bug that signals -1, 0 or a process group can only reach the script's
 * own processes. Inside the script, `$SIPID` is the CLI and `$D` a fresh
 * directory, removed afterwards.
 */
export const runInPidNamespace = async (script: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> => {
  const sipid = (await sipidCommand()).join(" ")
  const directory = mkdtempSync(join(tmpdir(), "sipid-ns-"))
  return new Promise<RunResult>((resolve) => {
    const child = spawn("unshare", ["--pid", "--fork", "--mount-proc", "bash", "-euo", "pipefail", "-c", script], {
      env: { ...process.env, ...env, SIPID: sipid, D: directory },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }))
  }).finally(() => rmSync(directory, { recursive: true, force: true }))
}
