/** The release tarballs (`npm run dist`), built at most once per change of the sources, and unpacked as a BOSH VM gets them. */
import { execFileSync } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect } from "vitest"
import type { RunResult } from "./cli.js"
import { buildDist, type DistArch, distName, tarballPath } from "./distBuild.js"

export { type DistArch, distName }

/** The build that runs on this machine. */
export const hostArch: DistArch = process.arch === "arm64" ? "arm64" : "x64"

let built: Promise<void> | undefined

/**
 * The absolute path of dist/sipid-VERSION-linux-ARCH.tar.xz. The globalSetup has built it
 * before any test ran; this checks again (cheaply) for a test run without that setup.
 */
export const distTarball = async (arch: DistArch = hostArch): Promise<string> => {
  await (built ??= buildDist())
  return tarballPath(arch)
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
