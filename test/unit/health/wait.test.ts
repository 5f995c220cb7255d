/**
 * The wait programs in virtual time, against a scripted Transport: when
 * rounds run, how thresholds and deadlines end them, what is logged, and
 * how each target's answer is judged.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Either, Exit, Fiber, Layer, Logger, TestClock } from "effect"
import { bodyPrefixBytes } from "../../../src/health/checks.js"
import { fromTransportCause } from "../../../src/health/failure.js"
import { proxySettingsFromEnv } from "../../../src/health/proxy.js"
import type { Settings } from "../../../src/health/settings.js"
import { Check, type HttpTarget, Target } from "../../../src/health/target.js"
import { Transport } from "../../../src/health/Transport.js"
import type { StillHealthy, Unhealthy } from "../../../src/health/verdict.js"
import { type Healthy, waitUntilHealthy, waitUntilUnhealthy } from "../../../src/health/wait.js"

/** What the fake server does for one request, or the fake port for one connection. */
type Answer =
  | {
    readonly status: number
    readonly body?: string | ReadableStream<Uint8Array>
    readonly headers?: Record<string, string>
    readonly location?: string
    readonly after?: Duration.DurationInput
  }
  | { readonly error: string }
  | "never"
  | "open"

/** Answers in order, the last repeated; or, per request, from its URL (`tcp://host:port` for a connection) and its number for that URL. */
type Script = ReadonlyArray<Answer> | ((url: string, index: number) => Answer)

interface Fake {
  readonly layer: Layer.Layer<Transport>
  /** Virtual time (ms) at which each request or connection started, its URL, method, headers, and the unix socket it went over. */
  readonly requests: Array<{
    readonly at: number
    readonly url: string
    readonly method: string
    readonly headers: Record<string, string>
    readonly socket: string | undefined
  }>
}

const transportError = (code: string) => Object.assign(new Error(code), { code })

/** A Transport that plays `script`, redirects and connections included. */
const fakeTransport = (script: Script): Fake => {
  const requests: Fake["requests"] = []
  const answerTo = (url: string) => {
    const index = requests.filter((request) => request.url === url).length - 1
    return typeof script === "function" ? script(url, index) : script[Math.min(requests.length, script.length) - 1]!
  }
  const respond = (request: HttpClientRequest.HttpClientRequest, answer: Answer) => {
    if (answer === "never") return Effect.never
    if (answer === "open") return Effect.die("an HTTP request was answered as a TCP connection")
    if ("error" in answer) return Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: transportError(answer.error) }))
    const headers: Record<string, string> = { ...answer.headers, ...(answer.location === undefined ? {} : { location: answer.location }) }
    return Effect.as(
      Effect.sleep(answer.after ?? 0),
      HttpClientResponse.fromWeb(request, new Response(answer.body ?? null, { status: answer.status, headers }))
    )
  }
  const client = (socket: string | undefined) =>
    HttpClient.make((request, url) =>
      Effect.flatMap(Clock.currentTimeMillis, (at) => {
        requests.push({ at, url: url.href, method: request.method, headers: { ...request.headers }, socket })
        return respond(request, answerTo(url.href))
      })
    )
  const tcp = (host: string, port: number) =>
    Effect.flatMap(Clock.currentTimeMillis, (at) => {
      const url = `tcp://${host}:${port}`
      requests.push({ at, url, method: "CONNECT", headers: {}, socket: undefined })
      const answer = answerTo(url)
      return answer === "open"
        ? Effect.void
        : answer === "never"
        ? Effect.never
        : "error" in answer
        ? Effect.fail(fromTransportCause(transportError(answer.error), answer.error))
        : Effect.die("a TCP connection was answered with HTTP")
    })
  return { layer: Layer.succeed(Transport, { http: client, tcp }), requests }
}
/** A body of `firstLine`, then a reset connection. */
const brokenBody = (firstLine: string) =>
  new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(new TextEncoder().encode(firstLine)),
    pull: (controller) => controller.error(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))
  })

/** A body of `firstLine` and then filler made as it is read, `totalBytes` in all; it counts what was read and sees a cancel. */
const lazyBody = (firstLine: string, totalBytes: number) => {
  const seen = { read: 0, cancelled: false }
  const filler = new Uint8Array(64 * 1024).fill(0x78)
  const stream = new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(new TextEncoder().encode(firstLine)),
    pull: (controller) => {
      if (seen.read >= totalBytes) return controller.close()
      seen.read += filler.length
      controller.enqueue(filler)
    },
    cancel: () => {
      seen.cancelled = true
    }
  })
  return { stream, seen }
}

const url = new URL("http://127.0.0.1:8080/health")

const timing = { timeout: Duration.seconds(10), pollingFrequency: Duration.seconds(1), requestTimeout: Duration.seconds(5) }

/** The settings of a test: timing, and the targets, or one HTTP target of `url` with the fields given. */
type Overrides = Partial<Settings> & Partial<Omit<HttpTarget, "_tag">>

const settingsOf = ({ checks, headers, method, targets, unixSocket, url: probed, ...rest }: Overrides): Settings => ({
  ...timing,
  targets: targets ?? [Target.Http({ url: probed ?? url, checks, headers, method, unixSocket })],
  ...rest
})

const captureLogs = () => {
  const lines: Array<string> = []
  const layer = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => lines.push(String(Array.isArray(message) ? message.join(" ") : message))))
  return { lines, layer }
}

/** Runs the wait for `mode` against `script` in virtual time; `untilMs` is how far the clock may move. */
const wait = (mode: "healthy" | "unhealthy", script: Script, overrides: Overrides = {}, untilMs = 60_000) =>
  Effect.gen(function*() {
    const fake = fakeTransport(script)
    const logs = captureLogs()
    const program: Effect.Effect<Healthy, Unhealthy | StillHealthy, Transport> = mode === "healthy"
      ? waitUntilHealthy(settingsOf(overrides))
      : waitUntilUnhealthy(settingsOf(overrides))
    const fiber = yield* Effect.fork(program.pipe(Effect.zip(Clock.currentTimeMillis), Effect.provide(Layer.merge(fake.layer, logs.layer))))
    yield* TestClock.adjust(untilMs)
    const exit = yield* Fiber.await(fiber)
    return { exit, requests: fake.requests, logs: logs.lines }
  })

const probe = (script: Script, overrides: Overrides = {}, untilMs?: number) => wait("healthy", script, overrides, untilMs)

const failureMessage = (exit: Exit.Exit<unknown, { readonly message: string }>): string =>
  Exit.match(exit, { onFailure: (cause) => String(cause._tag === "Fail" ? cause.error.message : cause), onSuccess: () => "succeeded" })

describe("waitUntilHealthy, one HTTP target", () => {
  it.effect("probes at once, then a polling period after each failure", () =>
    Effect.gen(function*() {
      const { exit, logs, requests } = yield* probe([{ status: 500 }, { status: 500 }, { status: 200 }])
      expect(requests.map((r) => r.at)).toEqual([0, 1_000, 2_000])
      expect(exit).toEqual(Exit.succeed([{ attempts: 3, elapsed: Duration.millis(2_000) }, 2_000]))
      expect(logs.at(-1)).toBe("healthy after 3 attempts (2s)")
    }))

  it.effect("measures elapsed time from its own start, not from the clock's epoch", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("1 hour")
      const { exit, logs } = yield* probe([{ status: 500 }, { status: 200 }])
      expect(Exit.map(exit, ([healthy]) => healthy.elapsed)).toEqual(Exit.succeed(Duration.seconds(1)))
      expect(logs.at(-1)).toBe("healthy after 2 attempts (1s)")
    }))

  it.effect("spaces probes after slow answers instead of overlapping them", () =>
    Effect.gen(function*() {
      const { requests } = yield* probe([{ status: 503, after: 300 }, { status: 503, after: 300 }, { status: 200 }])
      expect(requests.map((r) => r.at)).toEqual([0, 1_300, 2_600])
    }))

  it.effect("fails exactly at the deadline when the server never answers", () =>
    Effect.gen(function*() {
      const fake = fakeTransport(["never"])
      const fiber = yield* Effect.fork(waitUntilHealthy(settingsOf({ timeout: Duration.seconds(2) })).pipe(Effect.provide(fake.layer)))
      yield* TestClock.adjust(1_999)
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust(1)
      const exit = yield* Fiber.await(fiber)
      expect(failureMessage(exit)).toBe(
        "http://127.0.0.1:8080/health: not healthy after 1 attempt (2s): last failure: timed out after 2s"
      )
    }))

  it.effect("cuts each probe's time limit at the deadline", () =>
    Effect.gen(function*() {
      const { exit, requests } = yield* probe(["never"], {
        timeout: Duration.seconds(2),
        requestTimeout: Duration.seconds(1),
        pollingFrequency: Duration.millis(300)
      })
      expect(requests.map((r) => r.at)).toEqual([0, 1_300])
      expect(failureMessage(exit)).toMatch(/not healthy after 2 attempts \(2s\): last failure: timed out after 700ms$/)
    }))

  it.effect("does not let a time-out the deadline cut short hide the reason seen before it", () =>
    Effect.gen(function*() {
      const { exit, logs, requests } = yield* probe(
        [{ error: "DEPTH_ZERO_SELF_SIGNED_CERT" }, { error: "DEPTH_ZERO_SELF_SIGNED_CERT" }, "never"],
        { timeout: Duration.seconds(2), pollingFrequency: Duration.millis(300) }
      )
      expect(requests.map((r) => r.at)).toEqual([0, 300, 600])
      expect(failureMessage(exit)).toMatch(/not healthy after 3 attempts \(2s\): last failure: certificate not trusted \(.*\); is the endpoint's CA missing\?$/)
      expect(logs.filter((line) => line.includes("timed out"))).toEqual([])
    }))

  it.effect("starts no probe at or after the deadline", () =>
    Effect.gen(function*() {
      const { exit, requests } = yield* probe([{ status: 503 }], { timeout: Duration.seconds(2) })
      expect(requests.map((r) => r.at)).toEqual([0, 1_000])
      expect(failureMessage(exit)).toMatch(/not healthy after 2 attempts \(1s\): last failure: status 503$/)
    }))

  it.effect("logs a failure only when its reason changes", () =>
    Effect.gen(function*() {
      const { logs } = yield* probe(
        [
          { status: 503, body: "db down\nmore" },
          { status: 503, body: "db down" },
          { error: "ECONNREFUSED" },
          { error: "ECONNREFUSED" },
          "never",
          "never",
          { status: 503, body: "db down" },
          { status: 200 }
        ],
        { requestTimeout: Duration.millis(500), timeout: Duration.minutes(1) }
      )
      expect(logs.slice(1)).toEqual([
        "not healthy yet (attempt 1): status 503: db down",
        "not healthy yet (attempt 3): connection refused",
        "not healthy yet (attempt 5): timed out after 500ms",
        "not healthy yet (attempt 7): status 503: db down",
        "healthy after 8 attempts (8s)"
      ])
    }))

  it.effect("follows redirects, up to 10", () =>
    Effect.gen(function*() {
      const followed = yield* probe([{ status: 302, location: "/ready" }, { status: 200 }])
      expect(followed.requests.map((r) => r.url)).toEqual(["http://127.0.0.1:8080/health", "http://127.0.0.1:8080/ready"])
      expect(Exit.isSuccess(followed.exit)).toBe(true)

      const loop = yield* probe([{ status: 302, location: "/health" }], { timeout: Duration.millis(500) })
      expect(loop.requests).toHaveLength(11)
      expect(failureMessage(loop.exit)).toMatch(/last failure: status 302; more than 10 redirects/)
    }))

  it.effect.each(["http://[zz", "http://:0/", "http://999.1.1.1/", "http://[fe80::1%25eth0]/", "ftp://127.0.0.1/ready", "mailto:ops@example.com"])(
    "fails a probe redirected to %s, which it cannot follow, and retries",
    (location) =>
      Effect.gen(function*() {
        const { exit, logs, requests } = yield* probe([{ status: 302, location }], { timeout: Duration.millis(2_500) })
        const reason = `status 302 redirects to "${location}", which is not an http or https URL`
        expect(requests.map((r) => r.at)).toEqual([0, 1_000, 2_000])
        expect(logs.slice(1)).toEqual([`not healthy yet (attempt 1): ${reason}`])
        expect(failureMessage(exit)).toBe(`http://127.0.0.1:8080/health: not healthy after 3 attempts (2s): last failure: ${reason}`)
      })
  )

  it.effect("never sends a fragment, of the URL or of a redirect", () =>
    Effect.gen(function*() {
      const { requests } = yield* probe([{ status: 302, location: "/ready#top" }, { status: 200 }], { url: new URL("http://127.0.0.1:8080/health#frag") })
      expect(requests.map((r) => r.url)).toEqual(["http://127.0.0.1:8080/health", "http://127.0.0.1:8080/ready"])
    }))

  it.effect("sends credentials and a Host header only to the origin it was asked to probe: scheme, host and port", () =>
    Effect.gen(function*() {
      const headers: HttpTarget["headers"] = [["authorization", "Bearer t"], ["cookie", "c=1"], ["host", "web.internal"], ["x-probe", "sipid"]]
      const { requests } = yield* probe(
        [
          { status: 302, location: "/login" },
          { status: 302, location: "http://10.0.0.7/ready" },
          { status: 302, location: "http://127.0.0.1:8080/x" },
          { status: 302, location: "http://127.0.0.1:9090/other-port" },
          { status: 302, location: "https://127.0.0.1:8080/other-scheme" },
          { status: 200 }
        ],
        { headers }
      )
      const sent = requests.map((r) => Object.keys(r.headers).filter((name) => headers!.some(([given]) => given === name)).sort())
      expect(sent).toEqual([
        ["authorization", "cookie", "host", "x-probe"],
        ["authorization", "cookie", "host", "x-probe"],
        ["x-probe"],
        ["authorization", "cookie", "host", "x-probe"],
        ["x-probe"],
        ["x-probe"]
      ])
    }))

  it.effect("names the proxy in between when a probe times out", () =>
    Effect.gen(function*() {
      const proxies = Either.getOrThrow(proxySettingsFromEnv({ HTTP_PROXY: "http://user:secret@proxy.internal:3128", NO_PROXY: "10.0.0.0/8" }))
      const { exit } = yield* probe(["never"], { url: new URL("http://example.com/health"), timeout: Duration.seconds(2), proxies })
      expect(failureMessage(exit)).toBe(
        "http://example.com/health: not healthy after 1 attempt (2s): last failure: timed out after 2s " +
          "through the proxy http://proxy.internal:3128 (from HTTP_PROXY); check HTTP_PROXY, or add the endpoint's host to NO_PROXY to reach it directly"
      )
      // The one in flight when time ran out: here a redirect's, which NO_PROXY sends directly.
      const redirected = yield* probe([{ status: 302, location: "http://10.0.0.7/" }, "never"], {
        url: new URL("http://example.com/"),
        timeout: Duration.seconds(2),
        proxies
      })
      expect(failureMessage(redirected.exit)).toMatch(/last failure: timed out after 2s$/)
      const loopback = yield* probe(["never"], { timeout: Duration.seconds(2), proxies })
      expect(failureMessage(loopback.exit)).toMatch(/last failure: timed out after 2s$/)
    }))

  it.effect("reads only the start of a failing answer's body, then cancels it, and nothing of a healthy one's", () =>
    Effect.gen(function*() {
      const unhealthy = lazyBody("db down\n", 64 * 1024 * 1024)
      const healthy = lazyBody("ok\n", 64 * 1024 * 1024)
      const { exit, logs } = yield* probe([{ status: 503, body: unhealthy.stream }, { status: 200, body: healthy.stream }])
      expect(logs).toContain("not healthy yet (attempt 1): status 503: db down")
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(unhealthy.seen.cancelled).toBe(true)
      expect(unhealthy.seen.read).toBeLessThanOrEqual(bodyPrefixBytes + 128 * 1024)
      expect(healthy.seen.read).toBe(0)
    }))

  it.effect("quotes the first line of a body even when it comes in small pieces", () =>
    Effect.gen(function*() {
      const body = new ReadableStream<Uint8Array>({
        start: (controller) => {
          for (const piece of ["data", "base ", "down\n", "x".repeat(bodyPrefixBytes)]) controller.enqueue(new TextEncoder().encode(piece))
          controller.close()
        }
      })
      const { exit } = yield* probe([{ status: 503, body }], { timeout: Duration.millis(500) })
      expect(failureMessage(exit)).toMatch(/last failure: status 503: database down$/)
    }))

  it.effect("accepts any status in --expect-status", () =>
    Effect.gen(function*() {
      const { exit } = yield* probe([{ status: 204 }], { checks: [Check.Status({ accepted: [{ min: 200, max: 399 }] })] })
      expect(Exit.isSuccess(exit)).toBe(true)
    }))

  it.effect("sends the extra headers", () =>
    Effect.gen(function*() {
      const { requests } = yield* probe([{ status: 200 }], { headers: [["authorization", "Bearer t"]] })
      expect(requests[0]!.headers).toMatchObject({ authorization: "Bearer t" })
    }))

  it.effect("says what it waits for before the first probe", () =>
    Effect.gen(function*() {
      const { logs } = yield* probe([{ status: 200 }], { checks: [Check.Status({ accepted: [{ min: 200, max: 399 }] })], pollingFrequency: Duration.millis(250) })
      expect(logs[0]).toBe("waiting for http://127.0.0.1:8080/health to answer 200-399, probing every 250ms for up to 10s")
    }))

  it.effect("takes the final status for the answer, whatever its body does after it", () =>
    Effect.gen(function*() {
      for (const body of [brokenBody("ok"), new ReadableStream<Uint8Array>()]) {
        const { exit } = yield* probe([{ status: 200, body }])
        expect(Exit.map(exit, ([healthy]) => healthy)).toEqual(Exit.succeed({ attempts: 1, elapsed: Duration.zero }))
      }
    }))

  it.effect("quotes what arrived of a failing answer's body when it breaks off, or stalls until the probe's limit", () =>
    Effect.gen(function*() {
      const broken = yield* probe([{ status: 503, body: brokenBody("db down\n") }], { timeout: Duration.millis(500) })
      expect(failureMessage(broken.exit)).toMatch(/last failure: status 503: db down$/)
      const stalling = new ReadableStream<Uint8Array>({ start: (controller) => controller.enqueue(new TextEncoder().encode("warming up\n")) })
      const stalled = yield* probe([{ status: 503, body: stalling }], { timeout: Duration.seconds(3), requestTimeout: Duration.seconds(2) })
      expect(stalled.logs).toContain("not healthy yet (attempt 1): status 503: warming up")
      expect(failureMessage(stalled.exit)).toMatch(/^\S+: not healthy after 1 attempt \(2s\): last failure: status 503: warming up$/)
    }))

  it.effect("reports a time-out of the full request time-out even after another reason", () =>
    Effect.gen(function*() {
      const { exit, logs } = yield* probe(
        [{ error: "DEPTH_ZERO_SELF_SIGNED_CERT" }, "never"],
        { timeout: Duration.seconds(3), requestTimeout: Duration.seconds(1), pollingFrequency: Duration.millis(300) }
      )
      expect(logs).toContain("not healthy yet (attempt 2): timed out after 1s")
      expect(failureMessage(exit)).toMatch(/last failure: timed out after \d+m?s$/)
    }))

  it.effect("explains an untrusted certificate and asks about its CA", () =>
    Effect.gen(function*() {
      const { exit } = yield* probe([{ error: "DEPTH_ZERO_SELF_SIGNED_CERT" }], { timeout: Duration.millis(500) })
      expect(failureMessage(exit)).toMatch(/last failure: certificate not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\); is the endpoint's CA missing\?$/)
    }))
})

describe("waitUntilHealthy, one HTTP target, as asked", () => {
  it.effect("sends the method asked for, and a POST redirected by a 303 as a GET, as Go does", () =>
    Effect.gen(function*() {
      const head = yield* probe([{ status: 302, location: "/ready" }, { status: 200 }], { method: "HEAD" })
      expect(head.requests.map((r) => r.method)).toEqual(["HEAD", "HEAD"])
      const post = yield* probe([{ status: 307, location: "/a" }, { status: 303, location: "/b" }, { status: 200 }], { method: "POST" })
      expect(post.requests.map((r) => r.method)).toEqual(["POST", "POST", "GET"])
    }))

  it.effect("sends every request over the unix socket, and says whether the socket is missing or refuses", () =>
    Effect.gen(function*() {
      const unixSocket = "/var/vcap/sys/run/web/web.sock"
      const { exit, logs, requests } = yield* probe([{ error: "ENOENT" }, { error: "ECONNREFUSED" }, { status: 302, location: "/ready" }, { status: 200 }], {
        unixSocket
      })
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(requests.map((r) => r.socket)).toEqual([unixSocket, unixSocket, unixSocket, unixSocket])
      expect(logs.slice(0, 3)).toEqual([
        `waiting for http://127.0.0.1:8080/health via ${unixSocket} to answer 200, probing every 1s for up to 10s`,
        `not healthy yet (attempt 1): no socket at ${unixSocket}`,
        `not healthy yet (attempt 2): connection refused at the socket ${unixSocket}`
      ])
    }))

  it.effect("judges an answer by every check, and says which failed", () =>
    Effect.gen(function*() {
      const checks = [Check.Json({ path: "status", value: "UP" }), Check.Header({ name: "content-type", pattern: /json/ })]
      const { exit, logs } = yield* probe([
        { status: 200, body: "starting", headers: { "content-type": "text/plain" } },
        { status: 200, body: "starting", headers: { "content-type": "application/json" } },
        { status: 200, body: `{"status":"DOWN"}`, headers: { "content-type": "application/json" } },
        { status: 200, body: `{"status":"UP"}`, headers: { "content-type": "application/json" } }
      ], { checks })
      expect(logs.slice(1)).toEqual([
        `not healthy yet (attempt 1): the content-type header "text/plain" does not match /json/`,
        `not healthy yet (attempt 2): the body is not JSON (Unexpected token 's', "starting" is not valid JSON): "starting"`,
        `not healthy yet (attempt 3): status is "DOWN", not "UP"`,
        "healthy after 4 attempts (3s)"
      ])
      expect(Exit.isSuccess(exit)).toBe(true)
    }))

  it.effect("logs a body that fails its check once, however its text changes", () =>
    Effect.gen(function*() {
      const { exit, logs } = yield* probe(
        (_, index) => ({ status: 200, body: `{"uptime":${index}}` }),
        { checks: [Check.Body({ pattern: /"status":"UP"/ })], timeout: Duration.seconds(3) }
      )
      expect(logs.slice(1)).toEqual([`not healthy yet (attempt 1): the body does not match /"status":"UP"/: "{"uptime":0}"`])
      expect(failureMessage(exit)).toMatch(/last failure: the body does not match \/"status":"UP"\/: "\{"uptime":2\}"$/)
    }))
})

const a = new URL("http://127.0.0.1:8080/a")
const b = new URL("http://127.0.0.1:8081/b")
const db = Target.Tcp({ host: "127.0.0.1", port: 5432 })

/** Answers from a table by URL: each target's answers in order, its last repeated. */
const byUrl = (table: Record<string, ReadonlyArray<Answer>>): Script => (probed, index) => {
  const answers = table[probed]!
  return answers[Math.min(index, answers.length - 1)]!
}

describe("waitUntilHealthy, several targets", () => {
  it.effect("is healthy when every target is healthy in the same round, probing them at once", () =>
    Effect.gen(function*() {
      const { exit, logs, requests } = yield* probe(
        byUrl({ [a.href]: [{ status: 503 }, { status: 503 }, { status: 200 }], "tcp://127.0.0.1:5432": [{ error: "ECONNREFUSED" }, "open"] }),
        { targets: [Target.Http({ url: a }), db] }
      )
      expect(requests.map((r) => `${r.at} ${r.url}`)).toEqual([
        `0 ${a.href}`, "0 tcp://127.0.0.1:5432", `1000 ${a.href}`, "1000 tcp://127.0.0.1:5432", `2000 ${a.href}`, "2000 tcp://127.0.0.1:5432"
      ])
      expect(logs).toEqual([
        `waiting for ${a.href} to answer 200 and tcp://127.0.0.1:5432 to accept a connection, probing every 1s for up to 10s`,
        `not healthy yet (attempt 1): ${a.href}: status 503`,
        "not healthy yet (attempt 1): tcp://127.0.0.1:5432: connection refused",
        "healthy (attempt 2): tcp://127.0.0.1:5432",
        "healthy after 3 attempts (2s)"
      ])
      expect(Exit.isSuccess(exit)).toBe(true)
    }))

  it.effect("ends a round within the request time-out, however slow a target is", () =>
    Effect.gen(function*() {
      const { exit, requests } = yield* probe(byUrl({ [a.href]: ["never"], [b.href]: [{ status: 200, after: 100 }] }), {
        targets: [Target.Http({ url: a }), Target.Http({ url: b })],
        requestTimeout: Duration.seconds(2),
        timeout: Duration.seconds(5)
      })
      expect(requests.map((r) => r.at)).toEqual([0, 0, 3_000, 3_000])
      expect(failureMessage(exit)).toBe(`${a.href}: not healthy after 2 attempts (5s): last failure: timed out after 2s`)
    }))

  it.effect("names every failing target with its last failure and advice when time runs out", () =>
    Effect.gen(function*() {
      const { exit } = yield* probe(byUrl({ [a.href]: [{ status: 503, body: "db down" }], "tcp://127.0.0.1:5432": [{ error: "ECONNREFUSED" }] }), {
        targets: [Target.Http({ url: a }), db],
        timeout: Duration.millis(1_500)
      })
      expect(failureMessage(exit)).toBe(
        `not healthy after 2 attempts (1s): ${a.href} (last failure: status 503: db down), ` +
          "tcp://127.0.0.1:5432 (last failure: connection refused; is the job listening on that port yet?)"
      )
    }))

  it.effect("names a TCP target's time-out, and an IPv6 one in brackets", () =>
    Effect.gen(function*() {
      const { exit } = yield* probe(["never"], { targets: [Target.Tcp({ host: "::1", port: 5432 })], timeout: Duration.seconds(2) })
      expect(failureMessage(exit)).toBe("tcp://[::1]:5432: not healthy after 1 attempt (2s): last failure: timed out after 2s")
    }))
})

describe("--success-threshold", () => {
  it.effect("waits for that many healthy rounds in a row, logging a flap once", () =>
    Effect.gen(function*() {
      const answers = [503, 200, 200, 503, 200, 200, 200].map((status) => ({ status }))
      const { exit, logs } = yield* probe(answers, { successThreshold: 3 })
      expect(logs).toEqual([
        "waiting for http://127.0.0.1:8080/health to answer 200, 3 attempts in a row, probing every 1s for up to 10s",
        "not healthy yet (attempt 1): status 503",
        "healthy (attempt 2)",
        "healthy after 7 attempts (6s)"
      ])
      expect(Exit.map(exit, ([healthy]) => healthy)).toEqual(Exit.succeed({ attempts: 7, elapsed: Duration.seconds(6) }))
    }))

  it.effect("refuses an endpoint that flaps, saying how far it got", () =>
    Effect.gen(function*() {
      const { exit } = yield* probe((_, index) => ({ status: index % 2 === 0 ? 503 : 200 }), { successThreshold: 3 })
      expect(failureMessage(exit)).toBe(
        "http://127.0.0.1:8080/health: not healthy 3 attempts in a row after 10 attempts (9s), only the last 1: last failure: status 503"
      )
    }))

  it.effect("reports the last real failure when the deadline cuts the last round short after a healthy one", () =>
    Effect.gen(function*() {
      const { exit, logs } = yield* probe([{ status: 503 }, { status: 200 }, "never"], { successThreshold: 2, timeout: Duration.millis(2_500) })
      expect(logs.slice(1)).toEqual(["not healthy yet (attempt 1): status 503", "healthy (attempt 2)"])
      expect(failureMessage(exit)).toBe("http://127.0.0.1:8080/health: not healthy 2 attempts in a row after 3 attempts (2.5s): last failure: status 503")
    }))

  it.effect("says so when the deadline leaves no room for enough rounds", () =>
    Effect.gen(function*() {
      const { exit } = yield* probe([{ status: 200 }], { successThreshold: 3, timeout: Duration.millis(1_500) })
      expect(failureMessage(exit)).toBe(
        "not healthy 3 attempts in a row after 2 attempts (1s), only the last 2: every probe was healthy, but the deadline came first"
      )
    }))
})

describe("waitUntilUnhealthy", () => {
  const drain = (script: Script, overrides: Overrides = {}) => wait("unhealthy", script, overrides)

  it.effect("waits until the target fails, and says why it failed", () =>
    Effect.gen(function*() {
      const { exit, logs } = yield* drain([{ status: 200 }, { status: 200 }, { status: 503, body: "draining" }])
      expect(logs).toEqual([
        "waiting for http://127.0.0.1:8080/health to no longer answer 200, probing every 1s for up to 10s",
        "healthy (attempt 1)",
        "unhealthy after 3 attempts (2s): status 503: draining"
      ])
      expect(Exit.map(exit, ([down]) => down)).toEqual(Exit.succeed({
        attempts: 3,
        elapsed: Duration.seconds(2),
        failures: [{ target: url.href, failure: expect.objectContaining({ _tag: "BadStatus", status: 503 }) }]
      }))
    }))

  it.effect("with a threshold, waits for that many failing rounds in a row", () =>
    Effect.gen(function*() {
      const { exit, logs } = yield* drain([{ error: "ECONNREFUSED" }, { status: 200 }, { error: "ECONNREFUSED" }], { successThreshold: 2 })
      expect(logs.slice(1)).toEqual([
        "unhealthy (attempt 1): connection refused",
        "healthy (attempt 2)",
        "unhealthy after 4 attempts (3s): connection refused"
      ])
      expect(Exit.isSuccess(exit)).toBe(true)
    }))

  it.effect("waits for every target to fail, then names each reason", () =>
    Effect.gen(function*() {
      const { exit, logs } = yield* drain(
        byUrl({ [a.href]: [{ status: 503 }], "tcp://127.0.0.1:5432": ["open", "open", { error: "ECONNREFUSED" }] }),
        { targets: [Target.Http({ url: a }), db] }
      )
      expect(logs.slice(1)).toEqual([
        `unhealthy (attempt 1): ${a.href}: status 503`,
        "healthy (attempt 1): tcp://127.0.0.1:5432",
        `unhealthy after 3 attempts (2s): ${a.href}: status 503, tcp://127.0.0.1:5432: connection refused`
      ])
      expect(Exit.isSuccess(exit)).toBe(true)
    }))

  it.effect("fails at the deadline naming what is still healthy", () =>
    Effect.gen(function*() {
      const { exit } = yield* drain(byUrl({ [a.href]: [{ status: 503 }], [b.href]: [{ status: 200 }] }), {
        targets: [Target.Http({ url: a }), Target.Http({ url: b })],
        timeout: Duration.seconds(2)
      })
      expect(Exit.isFailure(exit) && failureMessage(exit)).toBe(`${b.href}: still healthy after 2 attempts (1s)`)
      const threshold = yield* drain([{ status: 200 }, { status: 503 }], { successThreshold: 3, timeout: Duration.seconds(3) })
      expect(failureMessage(threshold.exit)).toBe("not unhealthy 3 attempts in a row after 3 attempts (2s), only the last 2")
    }))

  it.effect("counts a full time-out as failing, but not one the deadline cut short", () =>
    Effect.gen(function*() {
      const hung = yield* drain(["never"], { requestTimeout: Duration.seconds(1) })
      expect(Exit.map(hung.exit, ([down]) => down.attempts)).toEqual(Exit.succeed(1))
      expect(hung.logs.at(-1)).toBe("unhealthy after 1 attempt (1s): timed out after 1s")
      // The second round starts at 1.8 s with 200 ms left; a healthy answer takes 800 ms.
      const slow = yield* drain([{ status: 200, after: 800 }], { timeout: Duration.seconds(2) })
      expect(failureMessage(slow.exit)).toBe("http://127.0.0.1:8080/health: still healthy after 2 attempts (2s)")
    }))

  it.effect("a target whose every probe the deadline cut short is not called healthy: it was not seen at all", () =>
    Effect.gen(function*() {
      const hung = yield* drain(["never"], { requestTimeout: Duration.seconds(5), timeout: Duration.seconds(2) })
      expect(hung.exit).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "StillHealthy", healthy: [], unseen: ["http://127.0.0.1:8080/health"] } } })
      expect(failureMessage(hung.exit)).toBe(
        "not seen failing after 1 attempt (2s); no probe of http://127.0.0.1:8080/health finished before the deadline: give the wait more time than one probe's time-out"
      )
    }))
})

describe("settings", () => {
  it.effect("need only the targets: the rest has defaults", () =>
    Effect.gen(function*() {
      const fake = fakeTransport([{ status: 503 }, { status: 200 }])
      const fiber = yield* Effect.fork(waitUntilHealthy({ targets: [Target.Http({ url })] }).pipe(Effect.provide(fake.layer)))
      yield* TestClock.adjust("1 minute")
      // The default polling period, 5s, between the two.
      expect(yield* Fiber.join(fiber)).toEqual({ attempts: 2, elapsed: Duration.seconds(5) })
    }))
})
