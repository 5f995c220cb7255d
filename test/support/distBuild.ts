/**
 * Builds the release tarballs (`npm run dist`) when one is missing or older than anything it
 * is made from. Vitest runs it once before any test (globalSetup in vitest.config.ts): a build
 * takes minutes, longer than any one test may, so it must never happen inside a test's time.
 */
import { execFile } from "node:child_process"
import { mkdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const repository = fileURLToPath(new URL("../..", import.meta.url))
const { version } = JSON.parse(readFileSync(`${repository}/package.json`, "utf8")) as { version: string }

export type DistArch = "x64" | "arm64"

/** The directory a tarball unpacks to, holding bin/sipid. */
export const distName = (arch: DistArch) => `sipid-${version}-linux-${arch}`

/** The absolute path of dist/sipid-VERSION-linux-ARCH.tar.xz. */
export const tarballPath = (arch: DistArch) => `${repository}dist/${distName(arch)}.tar.xz`

/** Runs `npm run dist` unless every tarball is newer than the sources; a lock keeps parallel callers from building twice. */
export const buildDist = (): Promise<void> =>
  new Promise((resolve, reject) => {
    mkdirSync(`${repository}dist`, { recursive: true })
    const tarballs = (["x64", "arm64"] as const).map((each) => `dist/${distName(each)}.tar.xz`).join(" ")
    const upToDate = `for t in ${tarballs}; do test -f "$t" && test -z "$(find src scripts package.json package-lock.json -newer "$t" -print -quit)" || exit 1; done`
    execFile("flock", [`${repository}dist/.dist.lock`, "sh", "-c", `(${upToDate}) || npm run dist`], {
      cwd: repository,
      maxBuffer: 16 * 2 ** 20
    }, (error, _stdout, stderr) => (error ? reject(new Error(`npm run dist failed: ${stderr}`)) : resolve()))
  })

/** Vitest's globalSetup entry. */
export default buildDist
