/**
 * The built CLI where koffi's prebuilt binary is missing (`npm install
 * --omit=optional`, another platform): claim and kill fail with one line and
 * exit 5 before changing anything; status needs no native code at all.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, expect, it } from "vitest"
import type { RunResult } from "../support/cli.js"

const repository = fileURLToPath(new URL("../..", import.meta.url))

/** The CLI as npm installs it, in a directory outside the repository, with koffi and maybe its binary. */
const installCopy = (withBinary: boolean): string => {
  const root = mkdtempSync(join(tmpdir(), "sipid-native-"))
  writeFileSync(join(root, "package.json"), JSON.stringify({ type: "module" }))
  cpSync(join(repository, "bin/sipid.js"), join(root, "bin/sipid.js"))
  cpSync(join(repository, "dist/bin/sipid.cjs"), join(root, "dist/bin/sipid.cjs"))
  // A copy, not a symlink: koffi looks for its binary relative to its real path.
  cpSync(join(repository, "node_modules/koffi"), join(root, "node_modules/koffi"), { recursive: true })
  if (withBinary) {
    const binary = `node_modules/@koromix/koffi-${process.platform}-${process.arch}`
    cpSync(join(repository, binary), join(root, binary), { recursive: true })
  }
  return root
}

const run = (root: string, args: ReadonlyArray<string>): Promise<RunResult> =>
  new Promise((resolve) => {
    execFile(process.execPath, [join(root, "bin/sipid.js"), ...args], { cwd: root }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }))
  })

let withoutBinary: string
let withBinary: string
let child: ChildProcess
let childPid: string

beforeAll(() => {
  withoutBinary = installCopy(false)
  withBinary = installCopy(true)
  child = spawn("sleep", ["1000"], { stdio: "ignore" })
  childPid = String(child.pid)
})

afterAll(() => {
  child.kill("SIGKILL")
  rmSync(withoutBinary, { recursive: true, force: true })
  rmSync(withBinary, { recursive: true, force: true })
})

const expectOneLineNamingTheBinary = (result: RunResult) => {
  expect(result.code).toBe(5)
  const lines = result.stderr.trimEnd().split("\n")
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(
    new RegExp(`ERROR .*koffi: load native code failed: no native binary for ${process.platform}-${process.arch} .*npm install @koromix/koffi-${process.platform}-${process.arch}`)
  )
}

it("claim fails with one line and exit 5, creating no pidfile", async () => {
  const pidfile = join(withoutBinary, "run/job.pid")
  const result = await run(withoutBinary, ["claim", "--pid", childPid, "--pid-file", pidfile])
  expectOneLineNamingTheBinary(result)
  expect(existsSync(pidfile)).toBe(false)
})

it("kill fails with one line and exit 5, signalling nothing and keeping the pidfile", async () => {
  const pidfile = join(withoutBinary, "kill.pid")
  writeFileSync(pidfile, `${childPid}\n`)
  const result = await run(withoutBinary, ["kill", "--pid-file", pidfile, "--grace", "1s"])
  expectOneLineNamingTheBinary(result)
  expect(child.exitCode).toBeNull()
  expect(child.signalCode).toBeNull()
  expect(readFileSync(pidfile, "utf8")).toBe(`${childPid}\n`)
})

it("status works without the native binary", async () => {
  const pidfile = join(withoutBinary, "status.pid")
  writeFileSync(pidfile, `${childPid}\n`)
  const result = await run(withoutBinary, ["status", "--pid-file", pidfile])
  expect(result).toMatchObject({ code: 0, stdout: `running: process ${childPid} (${pidfile})\n`, stderr: "" })
})

it("the same copy with the binary claims (so the failures above come from the missing binary alone)", async () => {
  const pidfile = join(withBinary, "job.pid")
  const result = await run(withBinary, ["claim", "--pid", childPid, "--pid-file", pidfile])
  expect(result.code, result.stderr).toBe(0)
  expect(readFileSync(pidfile, "utf8")).toBe(`${childPid}\n`)
})

it("wait-until-healthy without the HTTP client's file (dist/bin/undici.cjs) says so in one line, exit 5", async () => {
  const result = await run(withBinary, ["wait-until-healthy", "--url", "http://127.0.0.1:9/", "--timeout", "1s"])
  expect(result.code).toBe(5)
  expect(result.stderr.trimEnd().split("\n")).toEqual([
    expect.stringMatching(/ERROR sipid wait-until-healthy: sipid's wait-until-healthy code: load failed: Cannot find module '\.\/undici\.cjs'; the installation is incomplete: reinstall sipid$/)
  ])
})
