// Builds the library (tsc: ESM and declarations in dist/lib) and the CLI
// (esbuild: one CommonJS bundle in dist/bin, plus V8's code cache for it).
//
// Why CommonJS: Node 20 can reuse V8's code cache only for scripts, not for
// ES modules, and compiling the bundle is most of sipid's start-up. The
// HTTP stack is bundled too but wrapped lazily by esbuild, so only
// wait-until-healthy evaluates it.
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { readFileSync, rmSync } from "node:fs"

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))

rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true })
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" })
await build({
  entryPoints: ["src/cli/bin.ts"],
  outfile: "dist/bin/sipid.cjs",
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  // Loaded from node_modules when first required: koffi ships native binaries, and
  // undici (only wait-until-healthy needs it) would double the bundle every command reads.
  external: ["koffi", "undici"],
  define: { SIPID_VERSION: JSON.stringify(version), "import.meta.url": "__sipidModuleUrl" },
  banner: { js: "var __sipidModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: "warning"
})
// One run of the CLI records which functions start-up compiles; bin/sipid.js
// saves V8's code for them next to the bundle.
execFileSync(process.execPath, ["bin/sipid.js", "--version"], {
  env: { ...process.env, SIPID_WRITE_CODE_CACHE: "1" },
  stdio: "ignore"
})
