/**
 * The release tarball as a BOSH VM gets it: unpacked outside the repository,
 * moved to a directory of another name, run from an empty directory with no
 * node, npm or bun on PATH, in the environments other jobs leave behind.
 * Builds it with `npm run dist` when the sources are newer. (Every other CLI
 * test runs against it too: `npm test` runs test/cli again with SIPID_CLI=executable.)
 */
import { execFileSync, spawn } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import * as https from "node:https"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runInPidNamespace, runSipid } from "../support/cli.js"
import { expectTheLifeOfAJob, lifeOfAJob, unpackDist } from "../support/dist.js"
import { testServers } from "../support/servers.js"

const work = mkdtempSync(join(tmpdir(), "sipid-dist-"))
const { closeAll, connectProxy, listen, selfSigned } = testServers(work)
/** Where a BOSH packaging script puts it, not the name the tarball gave it. */
const sipid = join(work, "packages", "sipid", "bin", "sipid")
const empty = join(work, "empty")
/** A PATH with only the tools the scripts below call: no node, npm or bun. */
const tools = join(work, "tools")
const env = { PATH: tools }

let server: ReturnType<typeof selfSigned>
let client: ReturnType<typeof selfSigned>
let httpsPort: number
let mtlsPort: number

beforeAll(async () => {
  const unpacked = await unpackDist()
  mkdirSync(join(work, "packages"))
  renameSync(unpacked, join(work, "packages", "sipid"))
  rmSync(dirname(unpacked), { recursive: true, force: true })
  mkdirSync(empty)
  mkdirSync(tools)
  for (const tool of ["bash", "cat", "sleep", "unshare", "mkdir", "rmdir"]) {
    symlinkSync(execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(), join(tools, tool))
  }

  server = selfSigned("127.0.0.1")
  client = selfSigned("sipid-client")
  const ok = (_: unknown, response: { end: (body: string) => void }) => response.end("ok\n")
  httpsPort = await listen(https.createServer(server.pem, ok))
  mtlsPort = await listen(https.createServer({ ...server.pem, ca: client.pem.cert, requestCert: true, rejectUnauthorized: true }, ok))
}, 900_000)

afterAll(() => {
  closeAll()
  rmSync(work, { recursive: true, force: true })
})

const run = (args: ReadonlyArray<string>, extraEnv: NodeJS.ProcessEnv = {}, cwd = empty) =>
  runSipid(args, { executable: sipid, cwd, env: { ...env, ...extraEnv } })

/** A script in its own PID namespace, with $EXE the executable, $EMPTY an empty working directory and no JavaScript runtime on PATH. */
const inNamespace = (script: string, extraEnv: NodeJS.ProcessEnv = {}) =>
  runInPidNamespace(`if command -v node || command -v npm || command -v bun; then echo "a JavaScript runtime is on PATH" >&2; exit 1; fi\n${script}`, {
    ...env,
    EXE: sipid,
    EMPTY: empty,
    ...extraEnv
  })

/** The executable started with `variables` in its environment, and only it: the shell and tools around it never see them (LD_PRELOAD would reach them too). */
const sipidWith = (variables: Readonly<Record<string, string>>): string => {
  const wrapper = join(mkdtempSync(join(work, "with-")), "sipid")
  const exports = Object.entries(variables).map(([name, value]) => `export ${name}=${JSON.stringify(value)}`)
  writeFileSync(wrapper, ["#!/bin/bash", ...exports, `exec ${JSON.stringify(sipid)} "$@"`, ""].join("\n"))
  chmodSync(wrapper, 0o755)
  return wrapper
}

describe("the executable from npm run dist", () => {
  it("is a launcher and the runtime it starts, and prints its version and help", async () => {
    expect(existsSync(join(work, "packages", "sipid", "libexec", "sipid"))).toBe(true)
    const version = await run(["--version"])
    expect(version).toMatchObject({ code: 0, stderr: "" })
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/)
    const help = await run(["kill", "--help"])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("usage: sipid kill --pid-file FILE")
  })

  it("reports a usage error as usual (exit 2)", async () => {
    const result = await run(["claim", "--pid", "01", "--pid-file", join(empty, "job.pid")])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/--pid/)
  })

  it("claims, reports and kills a process, with no JavaScript runtime on PATH", async () => {
    expectTheLifeOfAJob(await inNamespace(lifeOfAJob))
  })

  it("says in one line what is missing when libexec/sipid was not copied with it", async () => {
    const alone = join(work, "alone", "bin")
    mkdirSync(alone, { recursive: true })
    execFileSync("cp", [sipid, alone])
    const result = await runSipid(["status", "--pid-file", join(empty, "job.pid")], { executable: join(alone, "sipid"), env })
    expect(result.code).toBe(5)
    expect(result.stderr).toMatch(/^sipid: cannot run \/.*\/alone\/libexec\/sipid: No such file or directory; unpack the whole release tarball/)
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1)
  })

  it("checks health over TLS with --ca-cert, and refuses an untrusted certificate", async () => {
    const url = `https://127.0.0.1:${httpsPort}/healthcheck`
    expect((await run(["wait-until-healthy", "--url", url, "--timeout", "10s", "--ca-cert", server.cert])).code).toBe(0)
    const untrusted = await run(["wait-until-healthy", "--url", url, "--polling-frequency", "50ms", "--timeout", "1s"])
    expect(untrusted.code).toBe(1)
    expect(untrusted.stderr).toMatch(/certificate not trusted/)
  })

  it("presents a client certificate for mutual TLS", async () => {
    const result = await run([
      "wait-until-healthy", "--url", `https://127.0.0.1:${mtlsPort}/`, "--timeout", "10s",
      "--ca-cert", server.cert, "--client-cert", client.cert, "--client-key", client.key
    ])
    expect(result.code).toBe(0)
  })

  it("goes through an HTTPS_PROXY tunnel", async () => {
    const proxy = await connectProxy()
    const url = `https://health.sipid.test:${httpsPort}/`
    const result = await run(["wait-until-healthy", "--url", url, "--timeout", "10s", "--ca-cert", server.cert], { HTTPS_PROXY: proxy.url })
    expect(result.code).toBe(0)
    expect(proxy.tunnels).toEqual([`health.sipid.test:${httpsPort}`])
  })
})

/** The TCP ports a process listens on, from the sockets among its file descriptors. */
const listeningPorts = (pid: number): ReadonlyArray<number> => {
  try {
    const inodes = new Set(
      readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
        try {
          return [/^socket:\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1]].filter((inode) => inode !== undefined)
        } catch {
          return [] // closed meanwhile
        }
      })
    )
    return ["tcp", "tcp6"].flatMap((table) =>
      readFileSync(`/proc/${pid}/net/${table}`, "utf8").split("\n").slice(1).map((line) => line.trim().split(/\s+/))
        // state 0A is LISTEN
        .filter((fields) => fields[3] === "0A" && inodes.has(fields[9]!))
        .map((fields) => parseInt(fields[1]!.split(":")[1]!, 16))
    )
  } catch {
    return [] // exited meanwhile
  }
}

const connects = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => (socket.destroy(), resolve(true)))
    socket.on("error", () => resolve(false))
  })

describe("the executable in a hostile machine", () => {
  it.each(["SIGUSR1", "SIGUSR2", "SIGHUP", "SIGQUIT"] as const)(
    "%s to a running wait-until-healthy opens no debugger or listener and stops it in order (128 + N, logged)",
    async (signal) => {
      const child = spawn(sipid, ["wait-until-healthy", "--url", "http://127.0.0.1:9/", "--timeout", "30s"], { cwd: empty, env, stdio: ["ignore", "ignore", "pipe"] })
      let stderr = ""
      child.stderr.on("data", (chunk) => (stderr += chunk))
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      while (!stderr.includes("waiting for")) await new Promise((resolve) => setTimeout(resolve, 20))
      child.kill(signal)
      // Until it exits: whatever it might open, it would open now.
      const listened = new Set<number>()
      let done = false
      void exited.then(() => (done = true))
      while (!done) {
        for (const port of listeningPorts(child.pid!)) listened.add(port)
        if (await connects(9229)) listened.add(9229)
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      expect([...listened]).toEqual([])
      const code = await exited
      expect(code).toBe(128 + (await import("node:os")).constants.signals[signal])
      expect(stderr).toContain(`received ${signal}: stopping early`)
    }
  )

  it.each([
    ["NODE_OPTIONS=--max-old-space-size=4096", { NODE_OPTIONS: "--max-old-space-size=4096" }],
    ["NODE_OPTIONS=--expose-gc", { NODE_OPTIONS: "--expose-gc" }],
    ["NODE_OPTIONS=--max-semi-space-size=64", { NODE_OPTIONS: "--max-semi-space-size=64" }],
    ["NODE_OPTIONS=--stack-size=65500", { NODE_OPTIONS: "--stack-size=65500" }],
    ["NODE_OPTIONS=--require ./nope", { NODE_OPTIONS: "--require ./nope" }],
    ["NODE_PATH", { NODE_PATH: "/nonexistent" }],
    ["BUN_OPTIONS=--inspect --preload ./nope.js", { BUN_OPTIONS: "--inspect=127.0.0.1:9229 --preload ./nope.js" }],
    ["BUN_BE_BUN=1", { BUN_BE_BUN: "1" }],
    ["BUN_JSC_ options, one unknown", { BUN_JSC_useJIT: "1", BUN_JSC_noSuchOption: "1" }],
    ["LD_PRELOAD of a library that is not there", { LD_PRELOAD: "/nonexistent/libjemalloc.so" }],
    ["NODE_TLS_REJECT_UNAUTHORIZED=0", { NODE_TLS_REJECT_UNAUTHORIZED: "0" }]
  ])("%s, left by another job, changes no outcome and adds no output", async (_, variables) => {
    const result = await inNamespace(lifeOfAJob, { EXE: sipidWith(variables) })
    expectTheLifeOfAJob(result)
    expect(result.stderr.split("\n").filter((line) => line !== "" && !/^\S+Z (INFO|WARN) {1,2}sipid /.test(line))).toEqual([])
  })

  it("takes nothing from .env, bunfig.toml or .npmrc in the working directory", async () => {
    const directory = mkdtempSync(join(work, "cwd-"))
    writeFileSync(join(directory, ".env"), "HTTP_PROXY=http://127.0.0.1:9\nNODE_TLS_REJECT_UNAUTHORIZED=0\n")
    writeFileSync(join(directory, "bunfig.toml"), "preload = [\"./nope.js\"]\nsmol = true\n")
    writeFileSync(join(directory, ".npmrc"), "node-options=--require ./nope\n")
    const url = `https://127.0.0.1:${httpsPort}/`
    expect((await run(["wait-until-healthy", "--url", url, "--timeout", "10s", "--ca-cert", server.cert], {}, directory)).code).toBe(0)
    const untrusted = await run(["wait-until-healthy", "--url", url, "--polling-frequency", "50ms", "--timeout", "1s"], {}, directory)
    expect(untrusted.code).toBe(1)
    expectTheLifeOfAJob(await inNamespace(lifeOfAJob, { EMPTY: directory }))
  })
})

const enabledControllers = (root: string) => (existsSync(join(root, "cgroup.subtree_control")) ? readFileSync(join(root, "cgroup.subtree_control"), "utf8") : "")

/** Where a new pids cgroup can be made: cgroup v1's pids hierarchy, or a v2 hierarchy that hands the pids controller down. */
const pidsController = (): string | undefined =>
  existsSync("/sys/fs/cgroup/pids/cgroup.procs")
    ? "/sys/fs/cgroup/pids"
    : ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"].find((root) => enabledControllers(root).split(/\s+/).includes("pids"))

describe.skipIf(process.getuid?.() !== 0 || pidsController() === undefined)("the executable near PID exhaustion (a pids cgroup; needs root)", () => {
  /**
   * The job ignores SIGTERM; then the shell moves into a pids cgroup that
   * leaves `free` tasks for sipid, threads included, as a fork bomb in the
   * job would leave free PIDs.
   */
  const withFreePids = (free: number) =>
    inNamespace(`
      cd "$EMPTY"
      ( trap '' TERM; exec sleep 300 ) & job=$!
      "$EXE" claim --pid "$job" --pid-file "$D/job.pid" 2>/dev/null
      group="$CONTROLLER/sipid-test-$$"
      mkdir "$group"
      echo $$ > "$group/cgroup.procs"
      read current < "$group/pids.current"
      echo $((current + ${free})) > "$group/pids.max"
      code=0; "$EXE" status --pid-file "$D/job.pid" || code=$?; echo "status exited $code"
      code=0; "$EXE" kill --pid-file "$D/job.pid" --grace 1s || code=$?; echo "kill exited $code"
      echo $$ > "$CONTROLLER/cgroup.procs"
      rmdir "$group"
      if kill -0 "$job" 2>/dev/null; then echo "job survived"; fi
    `, { CONTROLLER: pidsController() })

  it.each([5, 3, 1])("kill stops a job that ignores SIGTERM and status answers, with %i free PIDs", async (free) => {
    const result = await withFreePids(free)
    expect(result.stdout).toContain("status exited 0")
    expect(result.stdout).toContain("kill exited 0")
    expect(result.stdout).not.toContain("job survived")
    expect(result.stderr).toContain("sent SIGKILL")
    expect(result.code).toBe(0)
  })
})
