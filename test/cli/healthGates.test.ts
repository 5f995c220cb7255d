/**
 * The built CLI's gates beyond one status code, against real servers: body,
 * JSON and header checks, status lists, unix sockets, TCP ports, localhost
 * on ::1, several targets, --success-threshold and wait-until-unhealthy.
 * Servers that change do so a second after sipid starts; assertions are
 * about exit codes and log lines, never about how long anything took.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { runSipid } from "../support/cli.js"
import { testServers } from "../support/servers.js"

/** For runs meant to pass: they end as soon as they do. */
const patient = ["--polling-frequency", "100ms", "--timeout", "20s"]
/** For runs meant to fail: the deadline is what they wait for. */
const failing = ["--polling-frequency", "100ms", "--timeout", "1s"]

const dir = mkdtempSync(join(tmpdir(), "sipid-gates-"))
const { closeAll, closeLast, listen, listenAt } = testServers(dir)

afterAll(() => {
  closeAll()
  rmSync(dir, { recursive: true, force: true })
})

/**
 * A clock for servers that change: `later()` is true from a second after it
 * was first asked, by the first request. (From sipid's start would not do:
 * on a busy machine it can take a second to send it.)
 */
const aSecondOn = () => {
  let first: number | undefined
  return {
    later: () => {
      first ??= Date.now()
      return Date.now() - first >= 1_000
    }
  }
}

/** A server answering each request with `answer`; `requests` records each one's method, path and Host. */
const server = async (answer: (request: http.IncomingMessage, response: http.ServerResponse) => void, host?: string) => {
  const requests: Array<string> = []
  const port = await listen(
    http.createServer((request, response) => {
      requests.push(`${request.method} ${request.url} ${request.headers.host} ${request.headers["content-length"] ?? "-"}`)
      answer(request, response)
    }),
    host
  )
  return { port, url: `http://127.0.0.1:${port}/health`, requests }
}

const json = (body: unknown) => (_: http.IncomingMessage, response: http.ServerResponse) =>
  response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body))

describe("checks of the answer", () => {
  it("waits for a JSON value that turns UP after a second", async () => {
    const clock = aSecondOn()
    const { url } = await server((request, response) =>
      json({ components: { db: { status: clock.later() ? "UP" : "DOWN" } }, status: "UP" })(request, response)
    )
    const result = await runSipid(["wait-until-healthy", "--url", url, "--expect-json", "status=UP", "--expect-json", "components.db.status=UP", ...patient])
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/to answer 200 with JSON status = UP and JSON components\.db\.status = UP,/)
    expect(result.stderr).toMatch(/not healthy yet \(attempt 1\): components\.db\.status is "DOWN", not "UP"\n/)
    expect(result.stderr).toMatch(/healthy after \d+ attempts/)
  })

  it("quotes a body that never matches --expect-body", async () => {
    const { url } = await server(json({ status: "DOWN", checks: ["db"] }))
    const result = await runSipid(["wait-until-healthy", "--url", url, "--expect-body", `"status":\\s*"UP"`, ...failing])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/last failure: the body does not match \/"status":\\s\*"UP"\/: "\{"status":"DOWN","checks":\["db"\]\}"\n$/)
    expect(result.stderr.match(/not healthy yet/g)).toHaveLength(1)
  })

  it("tells a body that is not JSON and a path that is not there", async () => {
    const { url } = await server((_, response) => response.end("<html>maintenance</html>"))
    const notJson = await runSipid(["wait-until-healthy", "--url", url, "--expect-json", "status=UP", ...failing])
    expect(notJson.stderr).toMatch(/last failure: the body is not JSON \([^)]*\): "<html>maintenance<\/html>"\n$/)
    const other = await server(json({ status: "UP" }))
    const missing = await runSipid(["wait-until-healthy", "--url", other.url, "--expect-json", "components.db.status=UP", ...failing])
    expect(missing.stderr).toMatch(/last failure: the JSON has no components\.db\.status \(nothing at components\); keys are separated by dots/)
  })

  it("accepts a 401 that --expect-status lists, and hints at the list without it", async () => {
    const { url } = await server((_, response) => response.writeHead(401).end("credentials, please"))
    expect((await runSipid(["wait-until-healthy", "--url", url, "--expect-status", "200-299,401", ...patient])).code).toBe(0)
    const refused = await runSipid(["wait-until-healthy", "--url", url, ...failing])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/last failure: status 401: credentials, please; .*--expect-status, e\.g\. 200,401\n$/)
  })

  it("matches --expect-header, and sends --method", async () => {
    const { requests, url } = await server((request, response) =>
      response.writeHead(request.method === "POST" ? 200 : 405, { "x-ready": request.method === "POST" ? "yes" : "no" }).end()
    )
    expect((await runSipid(["wait-until-healthy", "--url", url, "--method", "POST", "--expect-header", "X-Ready: ^yes$", ...patient])).code).toBe(0)
    const head = await runSipid(["wait-until-healthy", "--url", url, "--method", "HEAD", "--expect-status", "405", "--expect-header", "X-Ready: ^yes$", ...failing])
    expect(head.stderr).toMatch(/last failure: the x-ready header "no" does not match \/\^yes\$\/\n$/)
    expect(requests[0]).toBe(`POST /health 127.0.0.1:${new URL(url).port} 0`)
    expect(requests.at(-1)).toMatch(/^HEAD \/health /)
  })
})

describe("targets", () => {
  it("sends the requests over --unix-socket, the URL's host only the Host header", async () => {
    const requests: Array<string> = []
    const socket = join(dir, "web.sock")
    await listenAt(http.createServer((request, response) => response.end(`${requests.push(`${request.headers.host} ${request.url}`)}`)), socket)
    const result = await runSipid(["wait-until-healthy", "--url", "http://web.internal/health", "--unix-socket", socket, ...patient])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain(`waiting for http://web.internal/health via ${socket} to answer 200,`)
    expect(requests).toEqual(["web.internal /health"])
  })

  it("says whether a socket is missing or refuses", async () => {
    const missing = join(dir, "missing.sock")
    const gone = await runSipid(["wait-until-healthy", "--url", "http://web.internal/", "--unix-socket", missing, ...failing])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toMatch(new RegExp(`last failure: no socket at ${missing}; is the job running\\?`))
    // A socket file nobody listens on, as a killed job leaves it (closing a server would remove it).
    const stale = join(dir, "stale.sock")
    const listenThenDie = "require('node:net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))"
    spawnSync(process.execPath, ["-e", listenThenDie, stale])
    const refused = await runSipid(["wait-until-healthy", "--url", "http://web.internal/", "--unix-socket", stale, ...failing])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(new RegExp(`last failure: connection refused at the socket ${stale}; nothing accepts connections on it`))
  })

  it("waits for a --tcp port that opens after a second", async () => {
    const port = await listen(net.createServer())
    closeLast()
    // A second after sipid found it closed.
    let opening: NodeJS.Timeout | undefined
    const open = () => listen(net.createServer((socket) => socket.end()), "127.0.0.1", port)
    const result = await runSipid(["wait-until-healthy", "--tcp", `127.0.0.1:${port}`, ...patient], {
      onStderr: (text) => void (text.includes("connection refused") && (opening ??= setTimeout(open, 1_000)))
    })
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(new RegExp(`waiting for tcp://127\\.0\\.0\\.1:${port} to accept a connection,`))
    expect(result.stderr).toMatch(/not healthy yet \(attempt 1\): connection refused\n/)
  })

  it("reaches a server on [::1] only as localhost, which /etc/hosts may not list", async () => {
    const { port, requests } = await server((_, response) => response.end("ok"), "::1")
    const args = ["--url", `http://localhost:${port}/health`, "--tcp", `localhost.:${port}`, "--tcp", `[::1]:${port}`]
    const result = await runSipid(["wait-until-healthy", ...args, ...patient])
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/healthy after 1 attempt /)
    expect(requests).toEqual([`GET /health localhost:${port} -`])
  })

  it("is healthy when every target is, logging each by name; one turns healthy later", async () => {
    const clock = aSecondOn()
    const ready = await server((_, response) => response.end("ok"))
    const late = await server((_, response) => response.writeHead(clock.later() ? 200 : 503).end("warming up"))
    const result = await runSipid(["wait-until-healthy", "--url", ready.url, "--url", late.url, ...patient])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain(`not healthy yet (attempt 1): ${late.url}: status 503: warming up\n`)
    expect(result.stderr).toContain(`healthy (attempt 1): ${ready.url}\n`)
    expect(late.requests.length).toBe(ready.requests.length)
  })

  it("names every target that is still failing at the deadline, URLs and ports", async () => {
    const closed = await listen(net.createServer())
    closeLast()
    const { url } = await server((_, response) => response.writeHead(503).end())
    const result = await runSipid(["wait-until-healthy", "--url", url, "--tcp", `127.0.0.1:${closed}`, ...failing])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      new RegExp(`ERROR .*: not healthy after \\d+ attempts \\([^)]*\\): ${url} \\(last failure: status 503\\), tcp://127\\.0\\.0\\.1:${closed} \\(last failure: connection refused; is the job listening on that port yet\\?\\)\\n$`)
    )
  })
})

describe("--success-threshold", () => {
  it("refuses an endpoint that flaps, and passes a steady one", async () => {
    let requests = 0
    const flapping = await server((_, response) => response.writeHead(requests++ % 2 === 0 ? 503 : 200).end())
    const result = await runSipid(["wait-until-healthy", "--url", flapping.url, "--success-threshold", "3", ...failing])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/not healthy 3 attempts in a row after \d+ attempts \([^)]*\)(, only the last 1)?: last failure: status 503\n$/)
    expect(result.stderr.match(/INFO .*(not healthy yet|healthy \(attempt)/g)).toHaveLength(2)
    const steady = await server((_, response) => response.end("ok"))
    const passed = await runSipid(["wait-until-healthy", "--url", steady.url, "--success-threshold", "3", ...patient])
    expect(passed.code).toBe(0)
    expect(passed.stderr).toMatch(/healthy after 3 attempts /)
    expect(steady.requests).toHaveLength(3)
  })
})

describe("sipid wait-until-unhealthy", () => {
  it("waits for an endpoint to turn 503, and says so", async () => {
    const clock = aSecondOn()
    const { url } = await server((_, response) => (clock.later() ? response.writeHead(503).end("draining") : response.end("ok")))
    const result = await runSipid(["wait-until-unhealthy", "--url", url, ...patient])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain(`waiting for ${url} to no longer answer 200,`)
    expect(result.stderr).toMatch(/INFO  sipid wait-until-unhealthy: unhealthy after \d+ attempts \([^)]*\): status 503: draining\n$/)
  })

  it("exits 1 naming what is still healthy at the deadline, and 0 at once for a closed port", async () => {
    const { url } = await server((_, response) => response.end("ok"))
    const still = await runSipid(["wait-until-unhealthy", "--url", url, ...failing])
    expect(still.code).toBe(1)
    expect(still.stderr).toMatch(new RegExp(`ERROR sipid wait-until-unhealthy: ${url}: still healthy after \\d+ attempts`))
    const closed = await listen(net.createServer())
    closeLast()
    const down = await runSipid(["wait-until-unhealthy", "--tcp", `127.0.0.1:${closed}`, ...failing])
    expect(down.code).toBe(0)
    expect(down.stderr).toMatch(/unhealthy after 1 attempt \([^)]*\): connection refused\n$/)
  })
})

describe("usage errors (exit 2)", () => {
  it.each([
    [[], /give at least one --url or --tcp to probe/],
    [["--tcp", "::1:80"], /--tcp: "::1:80": an IPv6 address goes in brackets/],
    [["--tcp", "db"], /--tcp: "db" is not HOST:PORT/],
    [["--url", "http://x/", "--expect-json", "status"], /--expect-json: "status" is not PATH=VALUE/],
    [["--url", "http://x/", "--expect-body", "("], /--expect-body: "\(" is not a regular expression/],
    [["--url", "http://x/", "--expect-header", "X-A: ["], /--expect-header: "\[" is not a regular expression/],
    [["--url", "http://x/", "--expect-status", "200,2xx"], /--expect-status: "200,2xx" is not a status code, a range or a list of them/],
    [["--url", "http://x/", "--success-threshold", "0"], /--success-threshold: "0" is not a whole number/],
    [["--url", "http://x/", "--method", "PUT"], /--method: "PUT" is not one of GET, HEAD, POST/],
    [["--tcp", "127.0.0.1:1", "--unix-socket", "/run/x.sock"], /--unix-socket: it carries the requests of --url/],
    [["--url", "http://x/", "--method", "HEAD", "--expect-body", "UP"], /an answer to HEAD has none; use --method GET/],
    [["--url", "http://x/", "--success-threshold", "3", "--polling-frequency", "1s", "--timeout", "2s"], /--success-threshold 3: .* raise --timeout/]
  ])("refuses %j", async (args, message) => {
    for (const command of ["wait-until-healthy", "wait-until-unhealthy"]) {
      const result = await runSipid([command, ...args])
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(message)
    }
  })
})
