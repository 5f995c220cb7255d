/**
 * The built CLI against real servers on 127.0.0.1. Durations are short and
 * assertions are about exit codes and messages, never wall-clock times.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runSipid } from "../support/cli.js"
import { testServers } from "../support/servers.js"

const fast = ["--polling-frequency", "50ms", "--timeout", "2s"]
/** For runs that are meant to fail: the deadline is what they wait for. */
const failing = ["--polling-frequency", "50ms", "--timeout", "1s"]

const dir = mkdtempSync(join(tmpdir(), "sipid-health-"))
/** A file no certificate bundle comes near. */
const hugePem = join(dir, "huge.crt")
writeFileSync(hugePem, Buffer.alloc(4 * 1024 * 1024 + 1, "#"))
const { listen, selfSigned, connectProxy, closeLast, closeAll } = testServers(dir)

/** A server answering with `statuses` in order, repeating the last. */
const scriptedServer = async (statuses: ReadonlyArray<number>) => {
  let requests = 0
  const port = await listen(
    http.createServer((_, response) => {
      const status = statuses[Math.min(requests++, statuses.length - 1)]!
      response.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok\n" : "database not ready\n")
    })
  )
  return { url: `http://127.0.0.1:${port}/healthcheck`, requests: () => requests }
}

/**
 * A server whose every answer is `status`, the line `firstLine`, then filler
 * written as fast as the client takes it: `length` bytes in all, or endless
 * (chunked) when undefined. It records how many bytes each answer got out.
 */
const floodServer = async (status: number, firstLine: string, length?: number) => {
  const sent: Array<number> = []
  const filler = Buffer.alloc(64 * 1024, "x")
  const port = await listen(
    http.createServer((_, response) => {
      const answer = sent.push(0) - 1
      response.writeHead(status, length === undefined ? {} : { "content-length": String(length) })
      response.write(firstLine)
      sent[answer] = firstLine.length
      const pump = () => {
        while (!response.destroyed && (length === undefined || sent[answer]! < length)) {
          const piece = length === undefined ? filler : filler.subarray(0, Math.min(filler.length, length - sent[answer]!))
          sent[answer] += piece.length
          if (!response.write(piece)) return response.once("drain", pump)
        }
        if (!response.destroyed) response.end()
      }
      pump()
    })
  )
  return { url: `http://127.0.0.1:${port}/healthcheck`, sent }
}

let server: ReturnType<typeof selfSigned>
let client: ReturnType<typeof selfSigned>
let httpsUrl: string
let mtlsUrl: string

beforeAll(async () => {
  server = selfSigned("127.0.0.1")
  client = selfSigned("sipid-client")
  const ok = (_: http.IncomingMessage, response: http.ServerResponse) => response.end("ok\n")
  httpsUrl = `https://127.0.0.1:${await listen(https.createServer(server.pem, ok))}/healthcheck`
  const mtls = https.createServer({ ...server.pem, ca: client.pem.cert, requestCert: true, rejectUnauthorized: true }, ok)
  mtlsUrl = `https://127.0.0.1:${await listen(mtls)}/healthcheck`
})

afterAll(() => {
  closeAll()
  rmSync(dir, { recursive: true, force: true })
})

describe("sipid wait-until-healthy", () => {
  it("waits through failures and exits 0 once healthy", async () => {
    const { requests, url } = await scriptedServer([500, 500, 200])
    const result = await runSipid(["wait-until-healthy", "--url", url, ...fast])
    expect(result.code).toBe(0)
    expect(requests()).toBe(3)
    expect(result.stderr).toMatch(/not healthy yet \(attempt 1\): status 500: database not ready/)
    expect(result.stderr).toMatch(/healthy after 3 attempts \(/)
    expect(result.stderr.match(/not healthy yet/g)).toHaveLength(1)
    expect(result.stdout).toBe("")
  })

  it("exits 1 with the last failure when the endpoint stays unhealthy", async () => {
    const { url } = await scriptedServer([503])
    const result = await runSipid(["wait-until-healthy", "--url", url, ...failing])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/ERROR sipid wait-until-healthy: http:\/\/127\.0\.0\.1:\d+\/healthcheck: not healthy after \d+ attempts \([^)]+\): last failure: status 503: database not ready/)
  })

  it("reports a closed port as connection refused", async () => {
    const port = await listen(net.createServer())
    closeLast()
    const result = await runSipid(["wait-until-healthy", "--url", `http://127.0.0.1:${port}/`, ...failing])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/last failure: connection refused/)
  })

  it("gives up at the deadline on a server that accepts and never answers", async () => {
    const port = await listen(net.createServer(() => {}))
    const result = await runSipid(["wait-until-healthy", "--url", `http://127.0.0.1:${port}/`, ...failing])
    expect(result.code).toBe(1)
    // The first probe starts a few ms after the clock does, so its limit is cut to the deadline.
    expect(result.stderr).toMatch(/not healthy after 1 attempt \([\d.]+m?s\): last failure: timed out after [\d.]+m?s$/m)
  })

  it("gives up at the deadline on a TLS handshake that never completes", async () => {
    const port = await listen(net.createServer(() => {}))
    const result = await runSipid(["wait-until-healthy", "--url", `https://127.0.0.1:${port}/`, ...failing, "--request-timeout", "300ms"])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/not healthy yet \(attempt 1\): timed out after 300ms/)
    expect(result.stderr).toMatch(/not healthy after \d+ attempts .*: last failure: timed out after \d+ms$/m)
  })

  describe("reads only the start of a body", () => {
    // Kernel socket buffers take a few MiB of each answer before sipid hangs up; reading it all would take GiBs.
    const mostPerAnswer = 32 * 1024 * 1024

    it("quotes an endless body's first line and still exits by the deadline", async () => {
      const { sent, url } = await floodServer(503, "warming up\n")
      const result = await runSipid(["wait-until-healthy", "--url", url, ...failing])
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/last failure: status 503: warming up$/m)
      expect(sent.length).toBeGreaterThan(0)
      expect(Math.max(...sent)).toBeLessThan(mostPerAnswer)
    })

    it("is healthy on a 200 with a 1 GiB body, without reading it", async () => {
      const { sent, url } = await floodServer(200, "ok\n", 1024 ** 3)
      const result = await runSipid(["wait-until-healthy", "--url", url, ...fast])
      expect(result.code).toBe(0)
      expect(result.stderr).toMatch(/healthy after 1 attempt /)
      expect(Math.max(...sent)).toBeLessThan(mostPerAnswer)
    })
  })

  it("follows redirects", async () => {
    const port = await listen(
      http.createServer((request, response) => {
        if (request.url === "/ready") response.end("ok")
        else response.writeHead(302, { location: "/ready" }).end()
      })
    )
    const result = await runSipid(["wait-until-healthy", "--url", `http://127.0.0.1:${port}/healthcheck`, ...fast])
    expect(result.code).toBe(0)
  })

  it("sends --header and accepts --expect-status ranges", async () => {
    const port = await listen(
      http.createServer((request, response) => response.writeHead(request.headers["x-probe"] === "sipid" ? 204 : 401).end())
    )
    const url = `http://127.0.0.1:${port}/`
    const result = await runSipid(["wait-until-healthy", "--url", url, ...fast, "--header", "X-Probe: sipid", "--expect-status", "200-299"])
    expect(result.code).toBe(0)
  })

  describe("takes the final status for the answer", () => {
    /** A server that answers every request with `raw` and hangs up. */
    const rawServer = async (raw: string) => {
      const port = await listen(net.createServer((socket) => socket.once("data", () => socket.end(raw))))
      return `http://127.0.0.1:${port}/healthcheck`
    }

    it("after a 100 Continue it did not ask for", async () => {
      const url = await rawServer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
      const result = await runSipid(["wait-until-healthy", "--url", url, ...fast])
      expect(result.code).toBe(0)
      expect(result.stderr).toMatch(/healthy after 1 attempt /)
    })

    it("whose body ends before its Content-Length, quoting what came of a failing one", async () => {
      const healthy = await runSipid(["wait-until-healthy", "--url", await rawServer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"), ...fast])
      expect(healthy.code).toBe(0)
      const failing503 = await runSipid(["wait-until-healthy", "--url", await rawServer("HTTP/1.1 503 No\r\nContent-Length: 100\r\n\r\nwarming up\n"), ...failing])
      expect(failing503.code).toBe(1)
      expect(failing503.stderr).toMatch(/last failure: status 503: warming up$/m)
    })

    it("and without one, blames no client certificate over http", async () => {
      const result = await runSipid(["wait-until-healthy", "--url", await rawServer(""), ...failing])
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/last failure: the server closed the connection without answering$/m)
    })

    it.each(["http://[zz", "http://:0/", "http://999.1.1.1/", "http://[fe80::1%25eth0]/"])("and retries a redirect to %s it cannot follow", async (location) => {
      const url = await rawServer(`HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`)
      const result = await runSipid(["wait-until-healthy", "--url", url, ...failing])
      expect(result.code).toBe(1)
      expect(result.stderr).not.toMatch(/internal error|TypeError/)
      expect(result.stderr.match(/not healthy yet/g)).toHaveLength(1)
      expect(result.stderr).toContain(`last failure: status 302 redirects to "${location}", which is not an http or https URL\n`)
      expect(Number(/not healthy after (\d+) attempts/.exec(result.stderr)?.[1])).toBeGreaterThan(1)
    })
  })

  it("sends no URL fragment", async () => {
    const paths: Array<string> = []
    const port = await listen(http.createServer((request, response) => {
      paths.push(request.url!)
      response.end("ok")
    }))
    const result = await runSipid(["wait-until-healthy", "--url", `http://127.0.0.1:${port}/ok?x=1#frag`, ...fast])
    expect(result.code).toBe(0)
    expect(paths).toEqual(["/ok?x=1"])
  })

  it.each([["text", /^\d{4}-\d\d-\d\dT/], ["json", /^\{.*\}$/]])("logs a TLS failure on one %s line per event", async (format, line) => {
    const port = await listen(http.createServer((_, response) => response.end("ok")))
    const result = await runSipid(["wait-until-healthy", "--url", `https://127.0.0.1:${port}/`, ...failing, "--log-format", format])
    expect(result.code).toBe(1)
    const lines = result.stderr.trimEnd().split("\n")
    expect(lines).toEqual(lines.map(() => expect.stringMatching(line)))
    expect(lines).toHaveLength(3)
    // Nothing, not even an escaped newline, between the TLS library's message and the hint (OpenSSL's under Node, BoringSSL's under Bun).
    expect(lines.at(-1)).toMatch(/wrong[ _]version[ _]number[^\\]*; does the endpoint speak plain http\?/i)
  })

  describe("https", () => {
    it("refuses an untrusted certificate, explains why and hints at --ca-cert", async () => {
      const result = await runSipid(["wait-until-healthy", "--url", httpsUrl, ...failing])
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/last failure: certificate not trusted \(self[- ]signed certificate\); .*--ca-cert/)
    })

    it("trusts a certificate given with --ca-cert", async () => {
      const result = await runSipid(["wait-until-healthy", "--url", httpsUrl, ...fast, "--ca-cert", server.cert])
      expect(result.code).toBe(0)
    })

    it("skips verification with --insecure, and warns", async () => {
      const result = await runSipid(["wait-until-healthy", "--url", httpsUrl, ...fast, "--insecure"])
      expect(result.code).toBe(0)
      expect(result.stderr).toMatch(/WARN  sipid wait-until-healthy: --insecure: TLS certificates are not verified/)
    })

    it("presents a client certificate for mutual TLS", async () => {
      // Generous deadlines: on a loaded machine a TLS handshake alone can take a second.
      const withoutCert = await runSipid([
        "wait-until-healthy", "--url", mtlsUrl, "--polling-frequency", "200ms", "--timeout", "3s", "--ca-cert", server.cert
      ])
      expect(withoutCert.code).toBe(1)
      // How the refusal shows depends on timing: a close, a reset, or the TLS alert itself; only the alert says why.
      expect(withoutCert.stderr).toMatch(
        /last failure: (TLS failed: [^;\n]*; does the server want a client certificate\? pass --client-cert and --client-key|the server (closed|reset) the connection without answering)$/m
      )
      const withCert = await runSipid([
        "wait-until-healthy", "--url", mtlsUrl, "--timeout", "10s", "--ca-cert", server.cert, "--client-cert", client.cert, "--client-key", client.key
      ])
      expect(withCert.code).toBe(0)
      expect(withCert.stderr).toMatch(/healthy after 1 attempt /)
    })

    it("names an unreadable certificate file (exit 2)", async () => {
      const missing = join(dir, "missing.crt")
      const result = await runSipid(["wait-until-healthy", "--url", httpsUrl, "--ca-cert", missing])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain(`--ca-cert ${missing}: cannot read it (ENOENT)`)
    })
  })

  it("reaches loopback directly even with a proxy configured", async () => {
    const { url } = await scriptedServer([200])
    const deadProxy = await listen(net.createServer())
    closeLast()
    const env = { ...process.env, HTTP_PROXY: `http://127.0.0.1:${deadProxy}`, http_proxy: `http://127.0.0.1:${deadProxy}` }
    const result = await runSipid(["wait-until-healthy", "--url", url, ...fast], { env })
    expect(result.code).toBe(0)
  })

  it("blames a dead proxy, not the job, and names it without its credentials", async () => {
    const deadProxy = await listen(net.createServer())
    closeLast()
    const env = { ...process.env, HTTP_PROXY: `http://sipid:secret@127.0.0.1:${deadProxy}`, NO_PROXY: "" }
    // 192.0.2.1 (TEST-NET-1) is not loopback, so it goes through the proxy.
    const result = await runSipid(["wait-until-healthy", "--url", "http://192.0.2.1:8080/healthcheck", ...failing], { env })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      new RegExp(`last failure: the proxy http://127\\.0\\.0\\.1:${deadProxy} \\(from HTTP_PROXY\\) refused the connection; check HTTP_PROXY, or add .* NO_PROXY`)
    )
    expect(result.stderr).not.toMatch(/is the job listening|secret/)
  })

  it("goes through HTTP_PROXY for other hosts, asking the proxy for the URL rather than for a tunnel", async () => {
    const { url } = await scriptedServer([200])
    const { port } = new URL(url)
    // Like squid by default: CONNECT only to port 443.
    const proxy = await connectProxy({ connect: 403 })
    const env = { ...process.env, HTTP_PROXY: proxy.url, NO_PROXY: "10.0.0.0/8,example.com" }
    const result = await runSipid(["wait-until-healthy", "--url", `http://health.sipid.test:${port}/healthcheck`, ...fast], { env })
    expect(result.code).toBe(0)
    expect(proxy.forwarded).toEqual([`http://health.sipid.test:${port}/healthcheck`])
    expect(proxy.tunnels).toEqual([])
  })

  it("names a proxy that never answers when time runs out", async () => {
    const silent = await listen(net.createServer(() => {}))
    const env = { ...process.env, HTTP_PROXY: `http://127.0.0.1:${silent}`, NO_PROXY: "" }
    const result = await runSipid(["wait-until-healthy", "--url", "http://192.0.2.1:8080/healthcheck", ...failing], { env })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      new RegExp(`last failure: timed out after [\\d.]+m?s through the proxy http://127\\.0\\.0\\.1:${silent} \\(from HTTP_PROXY\\); check HTTP_PROXY, or add`)
    )
  })

  it("waits its polling period after a proxy that hangs up on CONNECT, and blames the proxy", async () => {
    const { port } = new URL(httpsUrl)
    const proxy = await connectProxy({ connect: "hang up" })
    const env = { ...process.env, HTTPS_PROXY: proxy.url }
    const result = await runSipid(["wait-until-healthy", "--url", `https://health.sipid.test:${port}/`, ...failing], { env })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/last failure: the proxy \S+ \(from HTTPS_PROXY\) closed the connection instead of opening a tunnel to the endpoint; /)
    // One CONNECT a probe (the last one's may be cut off by the deadline): undici alone would ask again at once, thousands of times.
    const attempts = Number(/not healthy after (\d+) attempts/.exec(result.stderr)?.[1])
    expect(proxy.tunnels.length).toBeLessThanOrEqual(attempts)
    expect(proxy.tunnels.length).toBeGreaterThanOrEqual(attempts - 1)
  })

  it("verifies TLS end to end through an HTTPS_PROXY tunnel", async () => {
    const { port } = new URL(httpsUrl)
    const proxy = await connectProxy()
    const env = { ...process.env, HTTPS_PROXY: proxy.url }
    const result = await runSipid(["wait-until-healthy", "--url", `https://health.sipid.test:${port}/`, ...fast, "--ca-cert", server.cert], { env })
    expect(result.code).toBe(0)
    expect(proxy.tunnels).toEqual([`health.sipid.test:${port}`])
  })

  it.each([
    [["--url", "ftp://127.0.0.1/"], /only http and https/],
    [["--url", "not a url"], /is not a URL/],
    [["--url", "http://[fe80::1%25eth0]:8080/"], /zone id \(%25eth0\) cannot be probed/],
    [["--url", "http://127.0.0.1/", "--timeout", "30"], /invalid duration "30"/],
    [["--url", "http://127.0.0.1/", "--polling-frequency", "0s"], /--polling-frequency: must be longer than 0/],
    [["--url", "http://127.0.0.1/", "--header", "no colon"], /--header: "no colon" is not a header/],
    [["--url", "http://127.0.0.1/", "--expect-status", "2xx"], /--expect-status: "2xx"/],
    [["--url", "http://127.0.0.1/", "--client-cert", "/etc/hostname"], /--client-cert and --client-key go together/],
    [["--url", "http://127.0.0.1/", "--header", "Transfer-Encoding: chunked"], /--header: "Transfer-Encoding: chunked": Transfer-Encoding is sipid's to set/],
    [["--url", "https://127.0.0.1/", "--ca-cert", hugePem], /--ca-cert \S+huge\.crt: larger than 4 MiB/]
  ])("refuses %j as a usage error (exit 2)", async (args, message) => {
    const result = await runSipid(["wait-until-healthy", ...args])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(message)
  })
})
