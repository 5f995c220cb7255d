/** The release tarballs (`npm run dist`), built at most once per change of the sources, and unpacked as a BOSH VM gets them. */
import { execFile, execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { expect } from "vitest"
import type { RunResult } from "./cli.js"

const repository = fileURLToPath(new URL("../..", import.meta.url))
const { version } = JSON.parse(readFileSync(`${repository}/package.json`, "utf8")) as { version: string }

export type DistArch = "x64" | "arm64"

/** The build that runs on this machine. */
export const hostArch: DistArch = process.arch === "arm64" ? "arm64" : "x64"

/** The directory a tarball unpacks to, holding bin/sipid. */
export const distName = (arch: DistArch = hostArch) => `sipid-${version}-linux-${arch}`

let built: Promise<void> | undefined

/**
 * The absolute path of dist/sipid-VERSION-linux-ARCH.tar.xz, running `npm run
 * dist` (every architecture at once) first if one is missing or older than
 * anything it is made from. Test files run in parallel workers: a lock keeps
 * them from building it twice at once.
 */
export const distTarball = async (arch: DistArch = hostArch): Promise<string> => {
  await (built ??= new Promise((resolve, reject) => {
    mkdirSync(`${repository}dist`, { recursive: true })
    const tarballs = (["x64", "arm64"] as const).map((each) => `dist/${distName(each)}.tar.xz`).join(" ")
    const upToDate = `for t in ${tarballs}; do test -f "$t" && test -z "$(find src scripts package.json package-lock.json -newer "$t" -print -quit)" || exit 1; done`
    execFile("flock", [`${repository}dist/.dist.lock`, "sh", "-c", `(${upToDate}) || npm run dist`], {
      cwd: repository,
      maxBuffer: 16 * 2 ** 20
    }, (error, _stdout, stderr) => (error ? reject(new Error(`npm run dist failed: ${stderr}`)) : resolve()))
  }))
  return `${repository}dist/${distName(arch)}.tar.xz`
}

/** Unpacks the tarball of `arch` into a new directory outside the repository; returns the directory it made (`distName`). */
export const unpackDist = async (arch: DistArch = hostArch): Promise<string> => {
  const tarball = await distTarball(arch)
  const into = mkdtempSync(join(tmpdir(), "sipid-dist-"))
  execFileSync("tar", ["-xJf", tarball, "-C", into])
  return join(into, distName(arch))
}

/**
 * A script for runInPidNamespace with $EXE the executable and $EMPTY an empty
 * working directory: claims for a job, reports it, kills it, each step's exit
 * code on stdout.
 */
export const lifeOfAJob = `
  cd "$EMPTY"
  sleep 300 & job=$!
  "$EXE" claim --pid "$job" --pid-file "$D/job.pid"
  test "$(cat "$D/job.pid")" = "$job"
  "$EXE" status --pid-file "$D/job.pid"
  "$EXE" kill --pid-file "$D/job.pid" --grace 5s
  if test -e "$D/job.pid"; then echo "pidfile left behind" >&2; exit 1; fi
  status=0; wait "$job" || status=$?
  echo "job exited $status"
  "$EXE" status --pid-file "$D/job.pid" || echo "status exited $?"
`

export const expectTheLifeOfAJob = (result: RunResult) => {
  expect(result.stderr).toContain("claimed for process")
  expect(result.stdout).toMatch(/^running: process \d+/m)
  expect(result.stdout).toContain("job exited 143")
  expect(result.stdout).toContain("status exited 3")
  expect(result.code).toBe(0)
}
