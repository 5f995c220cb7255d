/** The release tarball (`npm run dist`), built at most once per change of the sources. */
import { execFile } from "node:child_process"
import { mkdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const repository = fileURLToPath(new URL("../..", import.meta.url))
const { version } = JSON.parse(readFileSync(`${repository}/package.json`, "utf8")) as { version: string }

/** The directory the tarball unpacks to, holding bin/sipid. */
export const distName = `sipid-${version}-linux-x64`

let built: Promise<string> | undefined

/**
 * The absolute path of dist/sipid-VERSION-linux-x64.tar.gz, running `npm run dist`
 * first if it is missing or older than anything it is made from. Test files run in
 * parallel workers: a lock keeps them from building it twice at once.
 */
export const distTarball = (): Promise<string> =>
  (built ??= new Promise((resolve, reject) => {
    const tarball = `${repository}dist/${distName}.tar.gz`
    mkdirSync(`${repository}dist`, { recursive: true })
    const upToDate = `test -f "$T" && test -z "$(find src scripts package.json package-lock.json -newer "$T" -print -quit)"`
    execFile("flock", [`${repository}dist/.dist.lock`, "sh", "-c", `${upToDate} || npm run dist`], {
      cwd: repository,
      env: { ...process.env, T: tarball },
      maxBuffer: 16 * 2 ** 20
    }, (error, _stdout, stderr) => (error ? reject(new Error(`npm run dist failed: ${stderr}`)) : resolve(tarball)))
  }))
