// Builds the library (tsc: ESM and declarations in dist/lib) and the CLI
// (esbuild: one CommonJS bundle in dist/bin, plus V8's code cache for it).
//
// Why CommonJS: Node 20 can reuse V8's code cache only for scripts, not for
// ES modules, and compiling the bundle is most of sipid's start-up. The
// HTTP stack is bundled too but wrapped lazily by esbuild, so only
// wait-until-healthy evaluates it.
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { bundleUndici, cliBundleOptions } from "./bundle.mjs"

// Only what this script makes: dist/ also holds npm run dist's tarball.
for (const made of ["lib", "bin"]) rmSync(new URL(`../dist/${made}`, import.meta.url), { recursive: true, force: true })
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" })
// Every entry point package.json exports ("sipid", "sipid/health", "sipid/testing") must have been built.
for (const entry of Object.values(JSON.parse(readFileSync("package.json", "utf8")).exports)) {
  for (const file of Object.values(entry)) {
    if (!existsSync(file)) throw new Error(`package.json exports ${file}, which tsc did not make`)
  }
}
// The bundle requires undici from the file beside it, made from node_modules/undici.
const undiciBeside = {
  name: "undici-beside",
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, () => ({ path: "./undici.cjs", external: true }))
  }
}
await build(cliBundleOptions({ external: ["koffi"], plugins: [undiciBeside] }))
await bundleUndici("dist/bin/undici.cjs")
// One run of the CLI records which functions it compiles; bin/sipid.js saves
// V8's code for them next to the bundle. A claim (in a directory of its own)
// runs most of what claim, kill and status share, and the start-up of all.
const scratch = mkdtempSync(join(tmpdir(), "sipid-build-"))
try {
  execFileSync(process.execPath, ["bin/sipid.js", "claim", "--pid", String(process.pid), "--pid-file", join(scratch, "warm-up.pid")], {
    env: { ...process.env, SIPID_WRITE_CODE_CACHE: "1" },
    stdio: "ignore"
  })
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
