/**
 * The library as an app gets it: the package `npm pack` makes, unpacked
 * into an app's node_modules beside the app's own Effect. Its three entry
 * points load and work together with the app's Effect, and nothing else
 * can be imported: package.json's `exports` keeps every other module
 * internal.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, expect, it } from "vitest"

const repository = fileURLToPath(new URL("../..", import.meta.url))
let app: string

beforeAll(() => {
  app = mkdtempSync(join(tmpdir(), "sipid-library-"))
  // The build is npm test's first step; --ignore-scripts packs it as it is.
  const packed = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", app], { cwd: repository, encoding: "utf8" }).trim()
  mkdirSync(join(app, "node_modules/sipid"), { recursive: true })
  execFileSync("tar", ["-xzf", join(app, packed), "-C", join(app, "node_modules/sipid"), "--strip-components=1"])
  // The app's own copies of what sipid shares with it (its peer dependencies), and sipid's own dependencies.
  for (const name of ["effect", "@effect", "undici", "koffi", "@koromix"]) symlinkSync(join(repository, "node_modules", name), join(app, "node_modules", name))
  writeFileSync(join(app, "package.json"), JSON.stringify({ type: "module" }))
}, 60_000)

afterAll(() => rmSync(app, { recursive: true, force: true }))

const runInApp = (code: string): string => execFileSync(process.execPath, ["--input-type=module", "-e", code], { cwd: app, encoding: "utf8" }).trim()

it("loads sipid, sipid/health and sipid/testing, and their programs run on the app's Effect", () => {
  const output = runInApp(`
    import { Effect } from "effect"
    import { Pidfile, parsePid } from "sipid"
    import { SipidTest, ProcessTable } from "sipid/testing"
    import { Target, defaults } from "sipid/health"
    const program = Effect.gen(function*() {
      const { pid } = yield* ProcessTable.spawn()
      const claimed = yield* Pidfile.claim({ path: "/var/vcap/sys/run/job/job.pid", pid })
      return [claimed._tag, typeof Target.Tcp, typeof defaults, parsePid("80", 4194304)._tag].join(" ")
    })
    console.log(await Effect.runPromise(program.pipe(Effect.provide(SipidTest()))))
  `)
  // The lines before are the claim's log, on the default logger.
  expect(output.split("\n").at(-1)).toBe("Claimed function object Right")
})

it.each(["sipid/dist/lib/pidfile/claim.js", "sipid/dist/lib/native/Libc.js", "sipid/src/index.ts"])("refuses to import %s, a module of its own", (path) => {
  expect(() => runInApp(`await import(${JSON.stringify(path)})`)).toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/)
})
