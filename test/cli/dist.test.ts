/**
 * The release tarball as a BOSH VM gets it: unpacked outside the repository,
 * moved to a directory of another name, run from an empty directory with no
 * node on PATH. Builds it with `npm run dist` when the sources are newer.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync } from "node:fs"
import * as https from "node:https"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runInPidNamespace, runSipid } from "../support/cli.js"
import { distName, distTarball } from "../support/dist.js"
import { testServers } from "../support/servers.js"

const work = mkdtempSync(join(tmpdir(), "sipid-dist-"))
const { listen, selfSigned, connectProxy, closeAll } = testServers(work)
/** Where a BOSH packaging script puts it, not the name the tarball gave it. */
const sipid = join(work, "packages", "sipid", "bin", "sipid")
const empty = join(work, "empty")
/** A PATH with only the tools the scripts below call: no node. */
const tools = join(work, "tools")
const env = { PATH: tools }

let server: ReturnType<typeof selfSigned>
let client: ReturnType<typeof selfSigned>
let httpsPort: number
let mtlsPort: number

beforeAll(async () => {
  const tarball = await distTarball()
  execFileSync("tar", ["-xzf", tarball, "-C", work])
  mkdirSync(join(work, "packages"))
  renameSync(join(work, distName), join(work, "packages", "sipid"))
  mkdirSync(empty)
  mkdirSync(tools)
  for (const tool of ["bash", "cat", "sleep", "unshare"]) symlinkSync(execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(), join(tools, tool))

  server = selfSigned("127.0.0.1")
  client = selfSigned("sipid-client")
  const ok = (_: unknown, response: { end: (body: string) => void }) => response.end("ok\n")
  httpsPort = await listen(https.createServer(server.pem, ok))
  mtlsPort = await listen(https.createServer({ ...server.pem, ca: client.pem.cert, requestCert: true, rejectUnauthorized: true }, ok))
}, 300_000)

afterAll(() => {
  closeAll()
  rmSync(work, { recursive: true, force: true })
})

const run = (args: ReadonlyArray<string>, extraEnv: NodeJS.ProcessEnv = {}) =>
  runSipid(args, { executable: sipid, cwd: empty, env: { ...env, ...extraEnv } })

describe("the single executable from npm run dist", () => {
  it("prints its version and help", async () => {
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

  it("claims, reports and kills a process, with no node on PATH", async () => {
    const result = await runInPidNamespace(
      `
      cd "$EMPTY"
      if command -v node; then echo "node is on PATH" >&2; exit 1; fi
      sleep 300 & job=$!
      "$EXE" claim --pid "$job" --pid-file "$D/job.pid"
      test "$(cat "$D/job.pid")" = "$job"
      "$EXE" status --pid-file "$D/job.pid"
      "$EXE" kill --pid-file "$D/job.pid" --grace 5s
      if test -e "$D/job.pid"; then echo "pidfile left behind" >&2; exit 1; fi
      status=0; wait "$job" || status=$?
      echo "job exited $status"
      "$EXE" status --pid-file "$D/job.pid" || echo "status exited $?"
      `,
      { ...env, EXE: sipid, EMPTY: empty }
    )
    expect(result.stderr).toContain(`claimed for process`)
    expect(result.stdout).toMatch(/^running: process \d+/m)
    expect(result.stdout).toContain("job exited 143")
    expect(result.stdout).toContain("status exited 3")
    expect(result.code).toBe(0)
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
