import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Either, Exit, Fiber, Layer, Logger, TestClock } from "effect"
import { bodyPrefixBytes, type ProbeSettings, waitUntilHealthy } from "../../../src/health/probe.js"
import { proxySettingsFromEnv } from "../../../src/health/proxy.js"

/** What the fake server does for one attempt. */
type Answer =
  | { readonly status: number; readonly body?: string | ReadableStream<Uint8Array>; readonly location?: string; readonly after?: Duration.DurationInput }
  | { readonly error: string }
  | "never"

interface Fake {
  readonly layer: Layer.Layer<HttpClient.HttpClient>
  /** Virtual time (ms) at which each request started, and its URL and headers. */
  readonly requests: Array<{ readonly at: number; readonly url: string; readonly headers: Record<string, string> }>
}

/** A client that plays `answers` in order, one per request (redirects included), repeating the last. */
const fakeClient = (answers: ReadonlyArray<Answer>): Fake => {
  const requests: Fake["requests"] = []
  const respond = (request: HttpClientRequest.HttpClientRequest, answer: Answer) => {
    if (answer === "never") return Effect.never
    if ("error" in answer) {
      return Effect.fail(
        new HttpClientError.RequestError({ request, reason: "Transport", cause: Object.assign(new Error(answer.error), { code: answer.error }) })
      )
    }
    const headers: Record<string, string> = answer.location === undefined ? {} : { location: answer.location }
    return Effect.as(
      Effect.sleep(answer.after ?? 0),
      HttpClientResponse.fromWeb(request, new Response(answer.body ?? null, { status: answer.status, headers }))
    )
  }
  const client = HttpClient.make((request, url) =>
    Effect.flatMap(Clock.currentTimeMillis, (at) => {
      requests.push({ at, url: url.href, headers: { ...request.headers } })
      return respond(request, answers[Math.min(requests.length, answers.length) - 1]!)
    })
  )
  return { layer: Layer.succeed(HttpClient.HttpClient, client), requests }
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

const settings: ProbeSettings = {
  url: new URL("http://127.0.0.1:8080/health"),
  headers: [],
  expectStatus: { min: 200, max: 200 },
  timeout: Duration.seconds(10),
  pollingFrequency: Duration.seconds(1),
  requestTimeout: Duration.seconds(5)
}

const captureLogs = () => {
  const lines: Array<string> = []
  const layer = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => lines.push(String(Array.isArray(message) ? message.join(" ") : message))))
  return { lines, layer }
}

/** Runs the program against `answers` in virtual time; `untilMs` is how far the clock may move. */
const probe = (answers: ReadonlyArray<Answer>, overrides: Partial<ProbeSettings> = {}, untilMs = 60_000) =>
  Effect.gen(function*() {
    const fake = fakeClient(answers)
    const logs = captureLogs()
    const fiber = yield* Effect.fork(
      waitUntilHealthy({ ...settings, ...overrides }).pipe(
        Effect.zip(Clock.currentTimeMillis),
        Effect.provide(Layer.merge(fake.layer, logs.layer))
      )
    )
    yield* TestClock.adjust(untilMs)
    const exit = yield* Fiber.await(fiber)
    return { exit, requests: fake.requests, logs: logs.lines }
  })

const failureMessage = (exit: Exit.Exit<unknown, { readonly message: string }>): string =>
  Exit.match(exit, { onFailure: (cause) => String(cause._tag === "Fail" ? cause.error.message : cause), onSuccess: () => "succeeded" })

describe("waitUntilHealthy", () => {
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
      const fake = fakeClient(["never"])
      const fiber = yield* Effect.fork(
        waitUntilHealthy({ ...settings, timeout: Duration.seconds(2) }).pipe(Effect.provide(fake.layer))
      )
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
      expect(failureMessage(exit)).toMatch(/not healthy after 3 attempts \(2s\): last failure: certificate not trusted \(.*\); .*--ca-cert/)
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

  it.effect("sends credentials and a Host header only to the host it was asked to probe", () =>
    Effect.gen(function*() {
      const headers: ProbeSettings["headers"] = [["authorization", "Bearer t"], ["cookie", "c=1"], ["host", "web.internal"], ["x-probe", "sipid"]]
      const { requests } = yield* probe(
        [{ status: 302, location: "/login" }, { status: 302, location: "http://10.0.0.7/ready" }, { status: 302, location: "http://127.0.0.1:8080/x" }, { status: 200 }],
        { headers }
      )
      const sent = requests.map((r) => Object.keys(r.headers).filter((name) => headers.some(([given]) => given === name)).sort())
      expect(sent).toEqual([
        ["authorization", "cookie", "host", "x-probe"],
        ["authorization", "cookie", "host", "x-probe"],
        ["x-probe"],
        ["authorization", "cookie", "host", "x-probe"]
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
      const { exit } = yield* probe([{ status: 204 }], { expectStatus: { min: 200, max: 399 } })
      expect(Exit.isSuccess(exit)).toBe(true)
    }))

  it.effect("sends the extra headers", () =>
    Effect.gen(function*() {
      const { requests } = yield* probe([{ status: 200 }], { headers: [["authorization", "Bearer t"]] })
      expect(requests[0]!.headers).toMatchObject({ authorization: "Bearer t" })
    }))

  it.effect("says what it waits for before the first probe", () =>
    Effect.gen(function*() {
      const { logs } = yield* probe([{ status: 200 }], { expectStatus: { min: 200, max: 399 }, pollingFrequency: Duration.millis(250) })
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

  it.effect("explains an untrusted certificate and hints at --ca-cert", () =>
    Effect.gen(function*() {
      const { exit } = yield* probe([{ error: "DEPTH_ZERO_SELF_SIGNED_CERT" }], { timeout: Duration.millis(500) })
      expect(failureMessage(exit)).toMatch(/last failure: certificate not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\); .*--ca-cert/)
    }))
})
