/**
 * wait-until-healthy from raw option values, and the undici layer under it,
 * against servers in this process on 127.0.0.1. Live clock, short deadlines;
 * nothing here asserts how long anything took.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Logger } from "effect"
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import * as net from "node:net"
import * as tls from "node:tls"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fromHttpClientError, ProbeFailure, ThroughProxy } from "../../src/health/failure.js"
import * as HttpLayer from "../../src/health/HttpLayer.js"
import { proxySettingsFromEnv } from "../../src/health/proxy.js"
import { run, type WaitInput } from "../../src/cli/programs/wait.js"
import { Check } from "../../src/health/target.js"
import { Transport } from "../../src/health/Transport.js"
import { testServers } from "../support/servers.js"

const closers: Array<() => void> = []
afterAll(() => closers.forEach((close) => close()))

const listen = (server: net.Server): Effect.Effect<number> =>
  Effect.promise(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const sockets = new Set<net.Socket>()
    // sipid hangs up on what it does not need (a body it will not read): a reset is no test's failure.
    server.on("connection", (socket: net.Socket) => sockets.add(socket.on("error", () => {})))
    closers.push(() => {
      for (const socket of sockets) socket.destroy()
      server.close()
    })
    return (server.address() as net.AddressInfo).port
  })

/** Answers 204 to a request carrying `x-probe: sipid`, 401 to others; records each path. */
const server = Effect.gen(function*() {
  const paths: Array<string> = []
  const port = yield* listen(http.createServer((request, response) => {
    paths.push(request.url!)
    response.writeHead(request.headers["x-probe"] === "sipid" ? 204 : 401).end()
  }))
  return { port, paths }
})

const servers = testServers(tmpdir())
afterAll(() => servers.closeAll())

/** A forward proxy (see test/support/servers.ts): plain http forwarded, CONNECT tunnelled or refused. */
const forwardProxy = (options?: Parameters<typeof servers.connectProxy>[0]) => Effect.promise(() => servers.connectProxy(options))

/** A certificate for 127.0.0.1 and its key, made when a test needs it. */
const selfSigned = () => {
  const dir = mkdtempSync(join(tmpdir(), "sipid-run-"))
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
      "-addext", "subjectAltName=IP:127.0.0.1,DNS:health.sipid.test", "-keyout", join(dir, "key"), "-out", join(dir, "cert")
    ], { stdio: "ignore" })
    return { cert: readFileSync(join(dir, "cert"), "utf8"), key: readFileSync(join(dir, "key"), "utf8") }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const input = (overrides: Partial<WaitInput>): WaitInput => ({
  urls: [new URL("http://127.0.0.1:1/")],
  tcp: [],
  unixSocket: undefined,
  method: "GET",
  headers: [],
  checks: [],
  timeout: Duration.seconds(5),
  pollingFrequency: Duration.millis(50),
  requestTimeout: Duration.seconds(2),
  successThreshold: 1,
  env: {},
  caCerts: [],
  clientCert: undefined,
  clientKey: undefined,
  insecure: false,
  ...overrides
})

const refusal = (overrides: Partial<WaitInput>) =>
  Effect.map(Effect.flip(run("healthy", input(overrides))), (error) => `${error._tag}: ${error.message}`)

/** A GET of `url` by the Transport's client, over `unixSocket` if given. */
const httpGet = (url: string, unixSocket?: string) => Effect.flatMap(Transport, (transport) => transport.http(unixSocket).get(url))

const accepting = (...codes: ReadonlyArray<number>) => Check.Status({ accepted: codes.map((code) => ({ min: code, max: code })) })

const captureLogs = () => {
  const lines: Array<string> = []
  const layer = Logger.replace(Logger.defaultLogger, Logger.make(({ logLevel, message }) => lines.push(`${logLevel.label} ${String(message)}`)))
  return { lines, layer }
}

describe("run", () => {
  it.effect.each([
    [{ urls: [] }, "UsageError: give at least one --url or --tcp to probe"],
    [{ urls: [], tcp: [{ host: "127.0.0.1", port: 1 }], unixSocket: "/run/web.sock" }, "UsageError: --unix-socket: it carries the requests of --url (whose host becomes the Host header); give a --url"],
    [{ method: "HEAD", checks: [Check.Json({ path: "status", value: "UP" })] }, "UsageError: --expect-body and --expect-json read the body, and an answer to HEAD has none; use --method GET"],
    [
      { successThreshold: 3, pollingFrequency: Duration.seconds(5), timeout: Duration.seconds(10) },
      "UsageError: --success-threshold 3: so many rounds, --polling-frequency apart, take longer than --timeout; raise --timeout"
    ],
    [{ env: { HTTP_PROXY: "ftp://p:21" } }, `UsageError: HTTP_PROXY="ftp://p:21" is not a proxy URL; use e.g. http://proxy.example.com:3128`],
    [{ clientCert: "/nonexistent" }, "UsageError: --client-cert and --client-key go together; pass both or neither"]
  ] as const)("refuses %j before any request", ([overrides, message]) =>
    Effect.gen(function*() {
      expect(yield* refusal(overrides)).toBe(message)
    }))

  it.live("probes the URL with the headers, and says when it is unhealthy", () =>
    Effect.gen(function*() {
      const { paths, port } = yield* server
      const url = new URL(`http://127.0.0.1:${port}/ready`)
      const healthy = yield* run("healthy", input({ urls: [url], headers: [["x-probe", "sipid"]], checks: [Check.Status({ accepted: [{ min: 200, max: 299 }] })] }))
      expect(healthy.attempts).toBe(1)
      expect(paths).toEqual(["/ready"])
      expect(yield* refusal({ urls: [url], timeout: Duration.millis(300) })).toMatch(
        new RegExp(`^Unhealthy: ${url}: not healthy after \\d+ attempts? .*: last failure: status 401$`)
      )
      const down = yield* run("unhealthy", input({ urls: [url] }))
      expect(down.attempts).toBe(1)
    }))

  it.live("warns that --insecure does not verify certificates, and only then", () =>
    Effect.gen(function*() {
      const { port } = yield* server
      for (const insecure of [true, false]) {
        const logs = captureLogs()
        yield* run("healthy", input({ urls: [new URL(`http://127.0.0.1:${port}/`)], headers: [["x-probe", "sipid"]], checks: [accepting(204)], insecure })).pipe(
          Effect.provide(logs.layer)
        )
        expect(logs.lines.filter((line) => line.startsWith("WARN"))).toEqual(
          insecure ? ["WARN --insecure: TLS certificates are not verified; anyone on the path can answer for the endpoint"] : []
        )
      }
    }))

  it.live("goes through the proxy the environment names", () =>
    Effect.gen(function*() {
      const { port } = yield* server
      const proxy = yield* forwardProxy()
      yield* run("healthy", input({
        urls: [new URL(`http://health.sipid.test:${port}/`)],
        headers: [["x-probe", "sipid"]],
        checks: [accepting(204)],
        env: { HTTP_PROXY: proxy.url }
      }))
      expect(proxy.forwarded).toEqual([`http://health.sipid.test:${port}/`])
    }))
})

/** The layer's client, GETting `url` (over `unixSocket` if given): its status, or the probe failure its error becomes. */
const get = (settings: HttpLayer.HttpSettings, url: string, unixSocket?: string) =>
  httpGet(url, unixSocket).pipe(
    Effect.map((response) => response.status),
    Effect.catchAll((error) => Effect.succeed(fromHttpClientError(error))),
    Effect.provide(HttpLayer.layer(settings)),
    Effect.timeoutFail({ duration: Duration.seconds(5), onTimeout: () => "no answer in 5s" })
  )

const settingsFor = (env: Record<string, string>): HttpLayer.HttpSettings => ({
  tls: { rejectUnauthorized: true },
  proxies: Either.getOrThrow(proxySettingsFromEnv(env)),
  connectTimeout: Duration.seconds(2)
})

describe("HttpLayer", () => {
  it.live("connects directly without a proxy", () =>
    Effect.gen(function*() {
      const { port } = yield* server
      expect(yield* get(settingsFor({}), `http://127.0.0.1:${port}/`)).toBe(401)
    }))

  it.live("sends each scheme through its own proxy, sharing one when both variables name it", () =>
    Effect.gen(function*() {
      const { port } = yield* server
      const proxy = yield* forwardProxy()
      const other = yield* forwardProxy()
      const target = `http://health.sipid.test:${port}/`
      expect(yield* get(settingsFor({ HTTP_PROXY: proxy.url }), target)).toBe(401)
      expect(yield* get(settingsFor({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url }), target)).toBe(401)
      expect(yield* get(settingsFor({ HTTPS_PROXY: other.url, HTTP_PROXY: proxy.url }), target)).toBe(401)
      expect(proxy.forwarded).toHaveLength(3)
      expect(other.forwarded).toEqual([])
      // Loopback stays direct whatever the proxy variables say.
      expect(yield* get(settingsFor({ HTTP_PROXY: proxy.url }), `http://127.0.0.1:${port}/`)).toBe(401)
      expect(proxy.forwarded).toHaveLength(3)
    }))

  it.live("sends plain http to the proxy as a request for the whole URL, never through a tunnel", () =>
    Effect.gen(function*() {
      const { paths, port } = yield* server
      // Like squid by default: CONNECT only to port 443.
      const proxy = yield* forwardProxy({ connect: 403 })
      expect(yield* get(settingsFor({ HTTP_PROXY: proxy.url }), `http://health.sipid.test:${port}/ready?x=1`)).toBe(401)
      expect(proxy.forwarded).toEqual([`http://health.sipid.test:${port}/ready?x=1`])
      expect(proxy.tunnels).toEqual([])
      expect(paths).toEqual(["/ready?x=1"])
    }))

  it.live("fails a request at once when the proxy hangs up on CONNECT, instead of asking it again and again", () =>
    Effect.gen(function*() {
      const proxy = yield* forwardProxy({ connect: "hang up" })
      expect(yield* get(settingsFor({ HTTPS_PROXY: proxy.url }), "https://health.sipid.test/")).toEqual(
        ProbeFailure.ProxyFailed({
          proxy: proxy.url,
          variable: "HTTPS_PROXY",
          problem: "closed the connection instead of opening a tunnel to the endpoint"
        })
      )
      expect(proxy.tunnels).toEqual(["health.sipid.test:443"])
    }))

  it.live("names the proxy, without credentials, when the proxy fails", () =>
    Effect.gen(function*() {
      const refusing = yield* forwardProxy({ connect: 502 })
      const withCredentials = refusing.url.replace("http://", "http://sipid:secret@")
      expect(yield* get(settingsFor({ https_proxy: withCredentials }), "https://health.sipid.test/")).toEqual(
        ProbeFailure.ProxyFailed({
          proxy: refusing.url,
          variable: "https_proxy",
          problem: "answered 502 instead of opening a tunnel to the endpoint"
        })
      )
    }))

  it.live("marks a proxied request's transport error with the proxy, and no other", () =>
    Effect.gen(function*() {
      const dead = yield* listen(net.createServer())
      closers.pop()!()
      const { port } = yield* server
      const proxied = yield* httpGet(`http://health.sipid.test:${port}/`).pipe(
        Effect.flip,
        Effect.provide(HttpLayer.layer(settingsFor({ HTTP_PROXY: `http://127.0.0.1:${dead}` })))
      )
      expect(proxied.cause).toBeInstanceOf(ThroughProxy)
      expect(fromHttpClientError(proxied)).toEqual(
        ProbeFailure.ProxyFailed({ proxy: `http://127.0.0.1:${dead}`, variable: "HTTP_PROXY", problem: "refused the connection" })
      )
      const direct = yield* httpGet(`http://127.0.0.1:${dead}/`).pipe(
        Effect.flip,
        Effect.provide(HttpLayer.layer(settingsFor({ HTTP_PROXY: `http://127.0.0.1:${port}` })))
      )
      expect(direct.cause).not.toBeInstanceOf(ThroughProxy)
      expect(fromHttpClientError(direct)).toEqual(ProbeFailure.Refused())
    }))

  it.live("verifies certificates as the TLS settings say", () =>
    Effect.gen(function*() {
      const pem = selfSigned()
      const port = yield* listen(https.createServer(pem, (_, response) => response.writeHead(200).end()))
      const url = `https://127.0.0.1:${port}/`
      expect(yield* get(settingsFor({}), url)).toMatchObject({ _tag: "Untrusted" })
      expect(yield* get({ ...settingsFor({}), tls: { rejectUnauthorized: true, ca: [pem.cert] } }, url)).toBe(200)
      expect(yield* get({ ...settingsFor({}), tls: { rejectUnauthorized: false } }, url)).toBe(200)
    }))

  it.live("speaks TLS to a proxy and through it with the same settings", () =>
    Effect.gen(function*() {
      const pem = selfSigned()
      const port = yield* listen(https.createServer(pem, (_, response) => response.writeHead(200).end()))
      const proxy = yield* forwardProxy({ pem })
      const trusting = { ...settingsFor({ HTTPS_PROXY: proxy.url }), tls: { rejectUnauthorized: true, ca: [pem.cert] } }
      expect(yield* get(trusting, `https://health.sipid.test:${port}/`)).toBe(200)
      expect(proxy.tunnels).toEqual([`health.sipid.test:${port}`])
    }))

  it.live("reads the answer after a 100 Continue it did not ask for, over http and https", () =>
    Effect.gen(function*() {
      const answer = (socket: net.Socket) =>
        socket.on("error", () => {}).once("data", () => socket.end("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"))
      const plain = yield* listen(net.createServer(answer))
      expect(yield* get(settingsFor({}), `http://127.0.0.1:${plain}/`)).toBe(200)
      const secure = yield* listen(tls.createServer(selfSigned(), answer))
      expect(yield* get({ ...settingsFor({}), tls: { rejectUnauthorized: false } }, `https://127.0.0.1:${secure}/`)).toBe(200)
    }))

  it.live("sends one request per connection, so a 100 can only come first", () =>
    Effect.gen(function*() {
      let connections = 0
      const port = yield* listen(http.createServer((_, response) => response.writeHead(200).end()).on("connection", () => connections++))
      // Each body read to its end, and a pause, so a kept-alive connection would be free for the next request.
      const get = httpGet(`http://127.0.0.1:${port}/`).pipe(
        Effect.flatMap((response) => Effect.as(response.text, response.status)),
        Effect.tap(() => Effect.sleep(Duration.millis(50)))
      )
      const statuses = yield* Effect.forEach([1, 2], () => get).pipe(
        Effect.provide(HttpLayer.layer(settingsFor({})))
      )
      expect(statuses).toEqual([200, 200])
      expect(connections).toBe(2)
    }))

  it.live("closes its connections when its scope ends", () =>
    Effect.gen(function*() {
      const closed: Array<boolean> = []
      const port = yield* listen(http.createServer((_, response) => response.writeHead(200).end()).on("connection", (socket: net.Socket) => {
        closed.push(false)
        socket.on("close", () => closed.push(true))
      }))
      expect(yield* get(settingsFor({}), `http://127.0.0.1:${port}/`)).toBe(200)
      yield* Effect.sleep(Duration.millis(50)).pipe(Effect.repeat({ until: () => closed.includes(true), times: 40 }))
      expect(closed).toEqual([false, true])
    }))

  it.live("leaves a URL it cannot parse to the client", () =>
    Effect.gen(function*() {
      const error = yield* httpGet("not a url").pipe(Effect.flip, Effect.provide(HttpLayer.layer(settingsFor({ HTTP_PROXY: "http://p:1" }))))
      expect(error).toMatchObject({ _tag: "RequestError", reason: "InvalidUrl" })
    }))

  it.live("gives up a connection to a proxy that never completes after the connect time-out", () =>
    Effect.gen(function*() {
      const silent = yield* listen(net.createServer(() => {}))
      const settings = { ...settingsFor({ HTTP_PROXY: `https://127.0.0.1:${silent}` }), connectTimeout: Duration.millis(200) }
      expect(yield* get(settings, "http://health.sipid.test/")).toMatchObject({ _tag: "Transport", code: "UND_ERR_CONNECT_TIMEOUT" })
    }))

  it.live("gives up a connection that never completes after the connect time-out", () =>
    Effect.gen(function*() {
      // Accepts TCP but never answers the TLS handshake.
      const port = yield* listen(net.createServer(() => {}))
      const failure = yield* get({ ...settingsFor({}), connectTimeout: Duration.millis(200) }, `https://127.0.0.1:${port}/`)
      expect(failure).toMatchObject({ _tag: "Transport", code: "UND_ERR_CONNECT_TIMEOUT" })
    }))

  it.live("sends requests over a unix socket, the URL's host only the Host header; a missing socket is ENOENT", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "sipid-socket-"))
      closers.push(() => rmSync(dir, { recursive: true, force: true }))
      const path = join(dir, "web.sock")
      const hosts: Array<string | undefined> = []
      yield* Effect.promise(() =>
        servers.listenAt(
          http.createServer((request, response) => {
            hosts.push(request.headers.host)
            response.writeHead(204).end()
          }),
          path
        )
      )
      expect(yield* get(settingsFor({ HTTP_PROXY: "http://127.0.0.1:1" }), "http://web.internal:8080/health", path)).toBe(204)
      expect(hosts).toEqual(["web.internal:8080"])
      expect(yield* get(settingsFor({}), "http://web.internal/", join(dir, "missing.sock"))).toMatchObject({ _tag: "Transport", code: "ENOENT" })
    }))

  /** A server on `host` only, answering 204. */
  const only = (host: string) => Effect.promise(() => servers.listen(http.createServer((_, response) => response.writeHead(204).end()), host))

  it.live("reaches localhost on ::1 or on 127.0.0.1, whatever /etc/hosts lists, by HTTP and by TCP", () =>
    Effect.gen(function*() {
      for (const host of ["::1", "127.0.0.1"]) {
        const port = yield* only(host)
        for (const name of ["localhost", "LocalHost.", "web.localhost"]) {
          expect(yield* get(settingsFor({}), `http://${name}:${port}/`)).toBe(204)
          yield* Effect.flatMap(Transport, (transport) => transport.tcp(name, port)).pipe(Effect.provide(HttpLayer.layer(settingsFor({}))))
        }
      }
    }))

  it.live("tells a TCP port that refuses, and one that is not there", () =>
    Effect.gen(function*() {
      const closed = yield* listen(net.createServer())
      closers.pop()!()
      const tcp = (host: string, port: number) =>
        Effect.flatMap(Transport, (transport) => Effect.flip(transport.tcp(host, port))).pipe(Effect.provide(HttpLayer.layer(settingsFor({}))))
      expect(yield* tcp("127.0.0.1", closed)).toEqual(ProbeFailure.Refused())
      expect(yield* tcp("localhost", closed)).toEqual(ProbeFailure.Refused())
      expect(yield* tcp("nowhere.invalid", 80)).toMatchObject({ _tag: "Transport", code: "ENOTFOUND" })
    }))
})
