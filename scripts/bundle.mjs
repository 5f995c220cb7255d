// The esbuild settings of the CLI bundle, shared by the npm bin (build.mjs)
// and the single executable (sea/dist.mjs).
import { readFileSync } from "node:fs"

export const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))

/** One CommonJS file for Node 20; `overrides` replaces entry, output and whatever else differs. */
export const cliBundleOptions = (overrides) => ({
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
  logLevel: "warning",
  ...overrides
})
