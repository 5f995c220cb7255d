/** An answer against its checks: which reason each failure gives, and how much of a body is read for them. */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, TestClock } from "effect"
import { bodyPrefixBytes, checkAnswer } from "../../../src/health/checks.js"
import { describe as describeFailure, ProbeFailure } from "../../../src/health/failure.js"
import { bodyCheckBytes, Check } from "../../../src/health/target.js"

const answer = (status: number, body: ConstructorParameters<typeof Response>[0], headers: Record<string, string> = {}) =>
  HttpClientResponse.fromWeb(HttpClientRequest.get("http://127.0.0.1/health"), new Response(body, { status, headers }))

/** The failure `checks` find in the answer, or "passes". */
const verdict = (response: HttpClientResponse.HttpClientResponse, checks: ReadonlyArray<Check>) =>
  Effect.map(Effect.either(checkAnswer(response, checks, Duration.seconds(1))), (result) => (result._tag === "Right" ? "passes" : result.left))

const json = (path: string, value: string) => Check.Json({ path, value })

/** A body of `bytes` x's and then `tail`, made as it is read; `read` counts what was pulled. */
const longBody = (bytes: number, tail: string) => {
  const seen = { read: 0 }
  let sent = 0
  const stream = new ReadableStream<Uint8Array>({
    pull: (controller) => {
      const piece = Math.min(16 * 1024, bytes - sent)
      if (piece <= 0) {
        controller.enqueue(new TextEncoder().encode(tail))
        return controller.close()
      }
      sent += piece
      seen.read += piece
      controller.enqueue(new Uint8Array(piece).fill(0x78))
    }
  })
  return { stream, seen }
}

const health = JSON.stringify({ status: "UP", components: { db: { status: "UP", pool: 4, ok: true, extra: null } }, items: [{ name: "a" }, { name: "b" }] })

describe("checkAnswer", () => {
  it.effect("reads a value at a dotted path, an array's items by index, and compares it as text", () =>
    Effect.gen(function*() {
      const checks = [json("status", "UP"), json("components.db.pool", "4"), json("components.db.ok", "true"), json("components.db.extra", "null"), json("items.1.name", "b")]
      expect(yield* verdict(answer(200, health), checks)).toBe("passes")
      expect(yield* verdict(answer(200, health), [json("items", `[{"name":"a"},{"name":"b"}]`)])).toBe("passes")
    }))

  it.effect("tells a body that is not JSON, a missing path and another value apart", () =>
    Effect.gen(function*() {
      const reasons = yield* Effect.forEach([
        [answer(200, "<html>down</html>"), json("status", "UP")],
        [answer(200, health), json("components.cache.status", "UP")],
        [answer(200, health), json("items.2.name", "a")],
        [answer(200, health), json("items.first", "a")],
        [answer(200, health), json("status.code", "UP")],
        [answer(200, health), json("components.db.pool", "5")],
        [answer(200, `{"status":"DOWN"}`), json("status", "UP")]
      ] as const, ([response, check]) => Effect.map(verdict(response, [check]), (failure) => (failure === "passes" ? failure : describeFailure(failure))))
      expect(reasons).toEqual([
        `the body is not JSON (Unexpected token '<', "<html>down</html>" is not valid JSON): "<html>down</html>"`,
        "the JSON has no components.cache.status (nothing at components.cache)",
        "the JSON has no items.2.name (nothing at items.2)",
        "the JSON has no items.first",
        "the JSON has no status.code",
        `components.db.pool is "4", not "5"`,
        `status is "DOWN", not "UP"`
      ])
    }))

  it.effect("a value nested too deeply to write is a failed probe, not a crash", () =>
    Effect.gen(function*() {
      const deep = `{"status":${"[".repeat(30_000)}${"]".repeat(30_000)}}`
      const failure = yield* verdict(answer(200, deep), [json("status", "UP")])
      expect(failure).toMatchObject({ _tag: "JsonDiffers", path: "status", actual: "(a value nested too deeply to write)" })
    }))

  it.effect("matches the body's start with the pattern, and quotes it on one line when it does not", () =>
    Effect.gen(function*() {
      // A global pattern keeps no state between probes.
      const pattern = /UP/g
      expect(yield* verdict(answer(200, "status: UP\n"), [Check.Body({ pattern })])).toBe("passes")
      expect(yield* verdict(answer(200, "status: UP\n"), [Check.Body({ pattern })])).toBe("passes")
      expect(yield* verdict(answer(200, "  status:\n\tDOWN \n"), [Check.Body({ pattern: /UP/ })])).toEqual(
        ProbeFailure.BodyMismatch({ pattern: "UP", start: "status: DOWN", end: "complete" })
      )
      expect(describeFailure(ProbeFailure.BodyMismatch({ pattern: "UP", start: "", end: "complete" }))).toBe("the body does not match /UP/: it is blank")
    }))

  it.effect("reads at most 64 KiB of a body for its checks, and says so", () =>
    Effect.gen(function*() {
      const late = longBody(16 * 1024 * 1024, "UP")
      const failure = yield* verdict(answer(200, late.stream), [Check.Body({ pattern: /UP/ })])
      expect(failure).toMatchObject({ _tag: "BodyMismatch", end: "limit" })
      expect(late.seen.read).toBeLessThanOrEqual(bodyCheckBytes + 64 * 1024)
      expect(describeFailure(failure as ProbeFailure)).toMatch(/^the body does not match \/UP\/ \(only its first 64 KiB are read\): "x{100}\.\.\."$/)
      const inTime = longBody(bodyCheckBytes - 2, "UP")
      expect(yield* verdict(answer(200, inTime.stream), [Check.Body({ pattern: /UP/ })])).toBe("passes")
    }))

  it.effect("judges what arrived of a body that stalls when the probe's time is up", () =>
    Effect.gen(function*() {
      const stalling = new ReadableStream<Uint8Array>({ start: (controller) => controller.enqueue(new TextEncoder().encode(`{"status":`)) })
      const fiber = yield* Effect.fork(verdict(answer(200, stalling), [json("status", "UP")]))
      yield* TestClock.adjust(Duration.seconds(1))
      const failure = yield* Fiber.join(fiber)
      expect(failure).toMatchObject({ _tag: "NotJson", end: "time", start: `{"status":` })
      expect(describeFailure(failure as ProbeFailure)).toMatch(/^the body is not JSON \(.*\) \(all that arrived within the time limit\): "\{"status":"$/)
    }))

  it.effect("checks the status first, quoting a failing answer's first line from its first 4 KiB", () =>
    Effect.gen(function*() {
      const body = longBody(1024 * 1024, "")
      const failure = yield* verdict(answer(503, body.stream), [json("status", "UP")])
      expect(failure).toEqual(ProbeFailure.BadStatus({ status: 503, body: `${"x".repeat(100)}...` }))
      // Streams read a few pieces ahead: far less than the megabyte on offer is the point.
      expect(body.seen.read).toBeLessThanOrEqual(bodyPrefixBytes + 64 * 1024)
    }))

  it.effect("reads no body when no check needs it", () =>
    Effect.gen(function*() {
      const body = longBody(1024 * 1024, "")
      expect(yield* verdict(answer(200, body.stream), [Check.Header({ name: "x", pattern: /(?:)/ })])).toEqual(
        ProbeFailure.HeaderMissing({ name: "x" })
      )
      expect(body.seen.read).toBe(0)
    }))

  it.effect("matches a header's value, by its name in any case", () =>
    Effect.gen(function*() {
      const response = answer(200, null, { "Content-Type": "text/html; charset=utf-8" })
      expect(yield* verdict(response, [Check.Header({ name: "content-type", pattern: /^text\/html/ })])).toBe("passes")
      const failure = yield* verdict(response, [Check.Header({ name: "content-type", pattern: /json/ })])
      expect(failure).toEqual(ProbeFailure.HeaderMismatch({ name: "content-type", pattern: "json", value: "text/html; charset=utf-8" }))
      expect(describeFailure(failure as ProbeFailure)).toBe(`the content-type header "text/html; charset=utf-8" does not match /json/`)
      expect(describeFailure(ProbeFailure.HeaderMissing({ name: "x-ready" }))).toBe("no x-ready header")
    }))

  it.effect("passes a status only its checks list; 200 alone without one", () =>
    Effect.gen(function*() {
      const list = Check.Status({ accepted: [{ min: 200, max: 299 }, { min: 401, max: 401 }] })
      const statuses = yield* Effect.forEach([200, 401, 302, 503], (status) => verdict(answer(status, null), [list]))
      expect(statuses.map((result) => (result === "passes" ? result : result._tag))).toEqual(["passes", "passes", "BadStatus", "BadStatus"])
      expect(Exit.isSuccess(yield* Effect.exit(checkAnswer(answer(201, null), [], Duration.seconds(1))))).toBe(false)
    }))
})
