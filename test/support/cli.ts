/** Runs the built `sipid` executable the way a BOSH script does. */
import { execFile, execFileSync, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

export const sipidBin = fileURLToPath(new URL("../../bin/sipid.js", import.meta.url))

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
}

export const runSipid = (args: ReadonlyArray<string>, options: RunOptions = {}): Promise<RunResult> =>
  new Promise((resolve) => {
    const [file, argv] = options.executable === undefined ? [process.execPath, [sipidBin, ...args]] : [options.executable, args]
    const child = execFile(file, argv, { env: options.env ?? process.env, cwd: options.cwd }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }))
    child.stdin?.end()
  })

/** strace, which makes a system call fail on demand (`-e inject=`); undefined where it is not installed. */
export const strace: string | undefined = (() => {
  try {
    return execFileSync("sh", ["-c", "command -v strace"], { encoding: "utf8" }).trim()
  } catch {
    return undefined
  }
})()

/**
 * Runs sipid with every call of `syscalls` (comma-separated) failing with
 * `errno`, through `strace -f -e inject=`; the caller checks `strace` first.
 */
export const runSipidFailing = (syscalls: string, errno: string, args: ReadonlyArray<string>): Promise<RunResult> =>
  runSipid(["-f", "-o", "/dev/null", "-e", `trace=${syscalls}`, "-e", `inject=${syscalls}:error=${errno}`, process.execPath, sipidBin, ...args], {
    executable: strace!
  })

/**
 * Runs a bash script inside a new PID namespace with its own /proc, so a
 * bug that signals -1, 0 or a process group can only reach the script's
 * own processes. Inside the script, `$SIPID` is the CLI and `$D` a fresh
 * directory, removed afterwards.
 */
export const runInPidNamespace = (script: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> => {
  const directory = mkdtempSync(join(tmpdir(), "sipid-ns-"))
  return new Promise<RunResult>((resolve) => {
    const child = spawn("unshare", ["--pid", "--fork", "--mount-proc", "bash", "-euo", "pipefail", "-c", script], {
      env: { ...process.env, ...env, SIPID: `${process.execPath} ${sipidBin}`, D: directory },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }))
  }).finally(() => rmSync(directory, { recursive: true, force: true }))
}
