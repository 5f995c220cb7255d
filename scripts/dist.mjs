// Builds the release for BOSH VMs: dist/sipid-VERSION-linux-x64.tar.xz and
// dist/sipid-VERSION-linux-arm64.tar.xz. Each unpacks to one directory that
// runs from wherever it is copied and needs nothing on the machine but a
// Linux kernel and glibc 2.17:
//
//   bin/sipid                the launcher (src/launcher/launcher.c, static): cleans
//                            the environment, then execs libexec/sipid
//   libexec/sipid            a Bun executable with sipid inside (scripts/compile.ts)
//   share/man/man1/sipid.1   the manual (src/cli/manual.ts)
//
// The Bun that compiles is the pinned devDependency; the runtime inside each
// executable is the same Bun version for the target (x64 "baseline", which
// runs on every x86-64 CPU, and arm64), fetched from the npm registry and
// checked against the integrity below.
//
//   npm run dist [-- --only x64]
import { createHash } from "node:crypto"
import { execFileSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { bundleUndici, version } from "./bundle.mjs"
import { loadManual } from "./manual.mjs"

const require = createRequire(import.meta.url)
const bunVersion = require("bun/package.json").version

/** The runtimes, pinned by the registry's integrity of their npm tarballs (npm view PACKAGE@VERSION dist.integrity). */
const targets = [
  {
    arch: "x64",
    bunTarget: "bun-linux-x64-baseline",
    runtimePackage: "@oven/bun-linux-x64-baseline",
    integrity: "sha512-s8yMwYcFnnrA178gji0gZbkE2WVDej/Ti1x770oPfihxyRxSMNhGhiAQNXV53aDeraZxksdvKV/RAdQBCd0qPA==",
    cc: "gcc",
    ccPackage: "gcc",
    // x86 machine code compresses better after xz's BCJ filter, which every xz since 5.0 decodes.
    xzFilters: ["--x86"]
  },
  {
    arch: "arm64",
    bunTarget: "bun-linux-arm64",
    runtimePackage: "@oven/bun-linux-aarch64",
    integrity: "sha512-4BXmsSKnjOrlGWqZV4x/oWa7AVoR+B6lCXddMzOAXBIm3t50eslg9wb66gmtW1AamEQ1l1CDvmmruysEhqOWMg==",
    cc: "aarch64-linux-gnu-gcc",
    ccPackage: "gcc-aarch64-linux-gnu",
    // xz's ARM64 filter needs xz 5.4 to unpack; Ubuntu Jammy stemcells have 5.2.
    xzFilters: []
  }
]

const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined
const work = "dist/work"
const cache = "node_modules/.cache/sipid-dist"

const fail = (message) => {
  console.error(`npm run dist: ${message}`)
  process.exit(1)
}

const run = (file, args, options = {}) => execFileSync(file, args, { stdio: ["ignore", "pipe", "inherit"], ...options })

/** The compiling Bun: the devDependency's binary, wherever its install script left it. */
const bunTool = () => {
  const candidates = [join("node_modules", ".bin", "bun"), join("node_modules", "@oven", `bun-linux-${process.arch === "arm64" ? "aarch64" : "x64"}`, "bin", "bun")]
  const found = candidates.find((candidate) => {
    try {
      return run(candidate, ["--version"]).toString().trim() === bunVersion
    } catch {
      return false
    }
  })
  return found ?? fail(`no working bun ${bunVersion} in node_modules; run npm ci`)
}

/** The target's Bun executable: its npm tarball, fetched once into the cache and checked. */
const runtimeOf = (target) => {
  const base = join(cache, `${target.runtimePackage.replace("/", "+")}-${bunVersion}`, "package", "bin", "bun")
  if (existsSync(base)) return base
  const directory = join(cache, `${target.runtimePackage.replace("/", "+")}-${bunVersion}`)
  rmSync(directory, { recursive: true, force: true })
  mkdirSync(directory, { recursive: true })
  const tarball = join(directory, run("npm", ["pack", `${target.runtimePackage}@${bunVersion}`, "--pack-destination", directory, "--silent"]).toString().trim())
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`
  if (integrity !== target.integrity) fail(`${target.runtimePackage}@${bunVersion} has integrity ${integrity}, not the pinned ${target.integrity}`)
  run("tar", ["-xzf", tarball, "-C", directory, "package/bin/bun"])
  return base
}

const compileLauncher = (target, outfile) => {
  try {
    run(target.cc, ["-static", "-Os", "-s", "-Wall", "-Wextra", "-Werror", "-o", outfile, "src/launcher/launcher.c"])
  } catch (error) {
    fail(`${target.cc} could not build the launcher for ${target.arch} (${error.message.split("\n")[0]}); install Debian's ${target.ccPackage}`)
  }
}

const mebibytes = (path) => (statSync(path).size / 2 ** 20).toFixed(1)

rmSync(work, { recursive: true, force: true })
mkdirSync(work, { recursive: true })
const undici = join(process.cwd(), work, "undici.cjs")
await bundleUndici(undici)
const tool = bunTool()
const { commands, renderMan } = await loadManual()

for (const target of targets.filter(({ arch }) => only === undefined || only === arch)) {
  const name = `sipid-${version}-linux-${target.arch}`
  const root = join(work, name)
  const tarball = join("dist", `${name}.tar.xz`)
  mkdirSync(join(root, "bin"), { recursive: true })
  mkdirSync(join(root, "libexec"), { recursive: true })
  run(tool, ["scripts/compile.ts", join(root, "libexec", "sipid"), target.bunTarget, runtimeOf(target), version, undici])
  compileLauncher(target, join(root, "bin", "sipid"))
  chmodSync(join(root, "bin", "sipid"), 0o755)
  mkdirSync(join(root, "share", "man", "man1"), { recursive: true })
  writeFileSync(join(root, "share", "man", "man1", "sipid.1"), renderMan(commands, version))
  writeFileSync(
    join(root, "NOTICE"),
    `sipid ${version}, Apache-2.0. libexec/sipid is sipid inside Bun ${bunVersion} (https://bun.sh, MIT), whose parts,\n` +
      "JavaScriptCore among them (LGPL-2), carry the licences Bun lists at https://bun.sh/docs/project/licensing.\n"
  )
  run("sh", [
    "-c",
    `tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "${work}" -cf - "${name}" | xz -T2 ${target.xzFilters.join(" ")} --lzma2=preset=6 > "${tarball}.tmp"`
  ])
  // Whole or not at all: tests may be waiting to unpack it.
  renameSync(`${tarball}.tmp`, tarball)
  console.log(`${tarball}: ${mebibytes(tarball)} MiB (Bun ${bunVersion} ${target.bunTarget.replace("bun-", "")} runtime, ${mebibytes(join(root, "libexec", "sipid"))} MiB unpacked)`)
}
rmSync(work, { recursive: true, force: true })
