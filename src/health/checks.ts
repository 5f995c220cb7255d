/**
 * Whether an answer passes its target's checks: the status first, then the
 * headers, then the body. The body is read only as far as needed: not at
 * all for a healthy status without body checks, the first 4 KiB of a failing
 * status (for the quote), the first 64 KiB for a body or JSON check; always
 * within what is left of the probe's time limit, and then the scope's end
 * closes the connection.
 */
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { type Data, type Duration, Effect, Either, Stream } from "effect"
import { type BodyEnd, bodySnippet, bodyStart, ProbeFailure } from "./failure.js"
import { acceptsStatus, bodyCheckBytes, Check } from "./target.js"

/** Enough of a failing answer's body for the first line its reason quotes. */
export const bodyPrefixBytes = 4096

interface BodyPrefix {
  readonly text: string
  readonly end: BodyEnd
}

/**
 * The first `maxBytes` of a body, or as much of it as arrives `within` that
 * time, or before the connection breaks: the status already answered, so a
 * body that stalls or breaks off only ends what is read.
 */
const readBodyPrefix = (response: HttpClientResponse.HttpClientResponse, maxBytes: number, within: Duration.Duration) =>
  Effect.suspend(() => {
    // One byte past the bound tells a body of exactly `maxBytes` from a longer one.
    let prefix = new Uint8Array(0)
    return response.stream.pipe(
      Stream.runForEachWhile((chunk) =>
        Effect.sync(() => {
          // Equivalent mutant, not disabled (maxBytes - 1 here is killable): - prefix.length → +; the fold stops once the prefix
          // passes the bound either way, and only its first maxBytes are decoded.
          prefix = Buffer.concat([prefix, chunk.subarray(0, maxBytes + 1 - prefix.length)])
          return prefix.length <= maxBytes
        })
      ),
      Effect.as<BodyEnd>("complete"),
      Effect.catchAll(() => Effect.succeed<BodyEnd>("error")),
      Effect.timeoutTo({ duration: within, onTimeout: (): BodyEnd => "time", onSuccess: (end) => end }),
      Effect.map((end): BodyPrefix => ({
        text: new TextDecoder().decode(prefix.subarray(0, maxBytes)),
        end: prefix.length > maxBytes ? "limit" : end
      }))
    )
  })

/** The value at a dotted path, or the part of the path where nothing was found. */
const valueAt = (json: unknown, path: string): Either.Either<unknown, string> => {
  let value = json
  const keys = path.split(".")
  for (const [index, key] of keys.entries()) {
    const found = Array.isArray(value)
      ? /^(?:0|[1-9]\d*)$/.test(key) && Number(key) < value.length
      : typeof value === "object" && value !== null && Object.hasOwn(value, key)
    if (!found) return Either.left(keys.slice(0, index + 1).join("."))
    value = (value as Record<string, unknown>)[key]
  }
  return Either.right(value)
}

/**
 * A JSON value as text, as `--expect-json` compares it: a string as itself,
 * anything else as JSON writes it. An array nested thousands deep, which a
 * 64 KiB body can hold, overflows the stack of JSON.stringify: it equals no
 * value anyone expects.
 */
const asText = (value: unknown): string => {
  if (typeof value === "string") return value
  try {
    return JSON.stringify(value)
  } catch {
    return "(a value nested too deeply to write)"
  }
}

const checkBody = (body: BodyPrefix, checks: ReadonlyArray<Check>): ProbeFailure | undefined => {
  let json: Either.Either<unknown, string> | undefined
  const parsed = () =>
    (json ??= Either.try({ try: () => JSON.parse(body.text) as unknown, catch: (error) => (error as Error).message }))
  for (const check of checks) {
    if (check._tag === "Body" && body.text.search(check.pattern) < 0) {
      return ProbeFailure.BodyMismatch({ pattern: check.pattern.source, start: bodyStart(body.text), end: body.end })
    }
    if (check._tag !== "Json") continue
    const document = parsed()
    if (Either.isLeft(document)) return ProbeFailure.NotJson({ detail: document.left, start: bodyStart(body.text), end: body.end })
    const value = valueAt(document.right, check.path)
    if (Either.isLeft(value)) return ProbeFailure.JsonMissing({ path: check.path, missing: value.left })
    const actual = asText(value.right)
    if (actual !== check.value) return ProbeFailure.JsonDiffers({ path: check.path, expected: check.value, actual: bodyStart(actual) })
  }
  return undefined
}

const checkHeader = (response: HttpClientResponse.HttpClientResponse, { name, pattern }: Data.TaggedEnum.Value<Check, "Header">) => {
  const value = response.headers[name]
  return value === undefined
    ? ProbeFailure.HeaderMissing({ name })
    : value.search(pattern) < 0
    ? ProbeFailure.HeaderMismatch({ name, pattern: pattern.source, value: bodyStart(value) })
    : undefined
}

/** Passes when `response` passes every check; `within` is what is left of the probe's time limit for reading its body. */
export const checkAnswer = (
  response: HttpClientResponse.HttpClientResponse,
  checks: ReadonlyArray<Check>,
  within: Duration.Duration
): Effect.Effect<void, ProbeFailure> =>
  Effect.gen(function*() {
    if (!acceptsStatus(checks, response.status)) {
      const body = yield* readBodyPrefix(response, bodyPrefixBytes, within)
      return yield* Effect.fail(ProbeFailure.BadStatus({ status: response.status, body: bodySnippet(body.text) }))
    }
    for (const check of checks.filter(Check.$is("Header"))) {
      const failure = checkHeader(response, check)
      if (failure !== undefined) return yield* Effect.fail(failure)
    }
    if (!checks.some((check) => check._tag === "Body" || check._tag === "Json")) return
    const failure = checkBody(yield* readBodyPrefix(response, bodyCheckBytes, within), checks)
    if (failure !== undefined) return yield* Effect.fail(failure)
  })
