// Builds the library (tsc: JS and declarations in dist/lib) and the CLI
// (esbuild: one ESM bundle in dist/bin, with the HTTP stack split into a
// chunk that only wait-until-healthy loads, so claim and kill start fast).
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { readFileSync, rmSync } from "node:fs"

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))

rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true })
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" })
await build({
  entryPoints: { sipid: "src/cli/bin.ts" },
  outdir: "dist/bin",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["koffi"],
  define: { SIPID_VERSION: JSON.stringify(version) },
  // @effect/cli's yaml dependency is CommonJS and calls require().
  banner: { js: "import { createRequire as __sipidCreateRequire } from 'node:module'; const require = __sipidCreateRequire(import.meta.url);" },
  logLevel: "warning"
})
