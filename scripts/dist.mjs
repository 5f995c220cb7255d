// Builds dist/sipid-VERSION-linux-x64.tar.gz: the directory
// sipid-VERSION-linux-x64/ with bin/sipid, one executable that needs only
// glibc (a Node single executable application with a V8 startup snapshot of
// the CLI, see src/cli/sea.ts), and lib/node_modules with what cannot or
// need not be in the snapshot: koffi with its linux-x64 binary, and undici.
//
// The executable is a copy of the Node running this script (the SEA blob only
// fits the Node that made it), stripped of its debug symbols.
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { chmodSync, copyFileSync, cpSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { bundleUndici, cliBundleOptions, version } from "./bundle.mjs"

const name = `sipid-${version}-linux-x64`
const work = "dist/sea"
const root = join("dist", name)
const tarball = `dist/${name}.tar.gz`
for (const old of [work, root, tarball]) rmSync(old, { recursive: true, force: true })
mkdirSync(work, { recursive: true })

// In a SEA only built-in modules can be required, and the snapshot is made on
// the build machine: modules beside the executable are found from its path
// at run time, not from the bundle's.
const besideExecutable = {
  name: "beside-executable",
  setup(build) {
    build.onResolve({ filter: /^(koffi|undici)$/ }, (args) => ({ path: args.path, namespace: "beside-executable" }))
    build.onLoad({ filter: /.*/, namespace: "beside-executable" }, (args) => ({
      contents: `module.exports = require("node:module").createRequire(__sipidLib.file)(${JSON.stringify(args.path)})`
    }))
  }
}
await build(cliBundleOptions({
  entryPoints: ["src/cli/sea.ts"],
  outfile: `${work}/sipid.cjs`,
  external: [],
  plugins: [besideExecutable],
  define: { ...cliBundleOptions({}).define, "import.meta.url": "__sipidLib.url" },
  banner: {
    js: [
      "var __sipidLib = {",
      "  get file() { return require('node:path').join(process.execPath, '..', '..', 'lib', 'sipid.cjs') },",
      "  get url() { return require('node:url').pathToFileURL(this.file).href }",
      "};"
    ].join("\n")
  }
}))

writeFileSync(`${work}/sea-config.json`, JSON.stringify({
  main: `${work}/sipid.cjs`,
  output: `${work}/sipid.blob`,
  disableExperimentalSEAWarning: true,
  useSnapshot: true
}))
execFileSync(process.execPath, ["--experimental-sea-config", `${work}/sea-config.json`], { stdio: "inherit" })

const executable = join(root, "bin", "sipid")
mkdirSync(dirname(executable), { recursive: true })
copyFileSync(process.execPath, executable)
chmodSync(executable, 0o755)
execFileSync("strip", [executable])
execFileSync(process.execPath, [
  "node_modules/postject/dist/cli.js", executable, "NODE_SEA_BLOB", `${work}/sipid.blob`,
  "--sentinel-fuse", "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2"
], { stdio: "pipe" }) // its warnings about ".note" sections are harmless

// Only the files these packages load on linux-x64 with glibc, and their licences.
const ship = (from, files) => {
  for (const file of files) {
    const target = join(root, "lib", "node_modules", from, file)
    mkdirSync(dirname(target), { recursive: true })
    cpSync(join("node_modules", from, file), target, { recursive: true })
  }
}
ship("koffi", ["package.json", "LICENSE.txt", "index.cjs", "src/koffi/index.cjs", "src/koffi/src/static.cjs"])
ship("@koromix/koffi-linux-x64", ["package.json", "index.js", "linux_x64/koffi.node"])
ship("undici", ["package.json", "LICENSE"])
await bundleUndici(join(root, "lib", "node_modules", "undici", "index.js"))

execFileSync("tar", [
  "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0",
  "-I", "gzip -9", "-C", "dist", "-cf", `${tarball}.tmp`, name
])
// Whole or not at all: tests may be waiting to unpack it.
renameSync(`${tarball}.tmp`, tarball)
rmSync(work, { recursive: true, force: true })
console.log(`${tarball}: ${(Number(execFileSync("stat", ["-c", "%s", tarball])) / 2 ** 20).toFixed(1)} MiB`)
