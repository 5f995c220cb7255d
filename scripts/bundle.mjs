// The esbuild settings of the CLI bundle, shared by the npm bin (build.mjs)
// and the single executable (dist.mjs).
import { build } from "esbuild"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))

// @effect/cli parses YAML, TOML and INI for options read from configuration
// files, which sipid has none of; the parsers were a sixth of the bundle that
// every command loads.
const withoutConfigFileParsers = {
  name: "without-config-file-parsers",
  setup(build) {
    build.onResolve({ filter: /^(yaml|toml|ini)$/ }, (args) => ({ path: args.path, namespace: "without-config-file-parsers" }))
    build.onLoad({ filter: /.*/, namespace: "without-config-file-parsers" }, (args) => ({
      contents: `export const parse = () => { throw new Error("sipid is built without a ${args.path} parser") }`
    }))
  }
}

/**
 * The parts of undici that wait-until-healthy uses (src/health/HttpLayer.ts,
 * and @effect/platform-node's client over a dispatcher), as one minified
 * CommonJS file at `outfile`: undici's index loads fetch, WebSocket, caches
 * and mocks too, twice the code to load, and its hundred modules to
 * resolve, read and compile made a healthy wait-until-healthy cost twice a claim.
 */
export const bundleUndici = (outfile) =>
  build({
    stdin: {
      contents: [
        'const Dispatcher = require("undici/lib/dispatcher/dispatcher.js")',
        "// As undici's index does: request(), stream() and the rest are methods of every dispatcher.",
        'Object.assign(Dispatcher.prototype, require("undici/lib/api/index.js"))',
        "module.exports = {",
        '  Agent: require("undici/lib/dispatcher/agent.js"),',
        '  Pool: require("undici/lib/dispatcher/pool.js"),',
        '  ProxyAgent: require("undici/lib/dispatcher/proxy-agent.js"),',
        "  Dispatcher,",
        '  buildConnector: require("undici/lib/core/connect.js"),',
        '  errors: require("undici/lib/core/errors.js"),',
        '  getGlobalDispatcher: require("undici/lib/global.js").getGlobalDispatcher',
        "}"
      ].join("\n"),
      resolveDir: fileURLToPath(new URL("..", import.meta.url)),
      loader: "js"
    },
    outfile,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "warning"
  })

/** One CommonJS file for Node 20; `overrides` replaces entry, output and whatever else differs, and adds plugins. */
export const cliBundleOptions = ({ plugins = [], ...overrides }) => ({
  entryPoints: ["src/cli/bin.ts"],
  outfile: "dist/bin/sipid.cjs",
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  // Loaded when first required: koffi ships native binaries, and undici (only
  // wait-until-healthy needs it) would add half again to the bundle every command reads.
  external: ["koffi", "undici"],
  define: { SIPID_VERSION: JSON.stringify(version), "import.meta.url": "__sipidModuleUrl" },
  banner: { js: "var __sipidModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Less to read and compile at each start; names stay, so stack traces of defects still read.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
  plugins: [withoutConfigFileParsers, ...plugins],
  ...overrides
})
