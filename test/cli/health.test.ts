/**
 * The built CLI against real servers on 127.0.0.1. Durations are short and
 * assertions are about exit codes and messages, never wall-clock times.
 */
import { mkdtempSync, rmSync } from "node:fs"
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

  describe("https", () => {
    it("refuses an untrusted certificate, explains why and hints at --ca-cert", async () => {
      const result = await runSipid(["wait-until-healthy", "--url", httpsUrl, ...failing])
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/last failure: certificate not trusted \(self-signed certificate\); .*--ca-cert/)
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
      // How the refusal shows depends on timing: a close, a reset, or the TLS alert itself.
      expect(withoutCert.stderr).toMatch(/last failure: [^;]*; [^\n]*--client-cert/)
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

  it("goes through HTTP_PROXY for other hosts", async () => {
    const { url } = await scriptedServer([200])
    const { port } = new URL(url)
    const proxy = await connectProxy()
    const env = { ...process.env, HTTP_PROXY: proxy.url, NO_PROXY: "10.0.0.0/8,example.com" }
    const result = await runSipid(["wait-until-healthy", "--url", `http://health.sipid.test:${port}/healthcheck`, ...fast], { env })
    expect(result.code).toBe(0)
    expect(proxy.tunnels).toEqual([`health.sipid.test:${port}`])
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
    [["--url", "http://127.0.0.1/", "--client-cert", "/etc/hostname"], /--client-cert and --client-key go together/]
  ])("refuses %j as a usage error (exit 2)", async (args, message) => {
    const result = await runSipid(["wait-until-healthy", ...args])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(message)
  })
})
