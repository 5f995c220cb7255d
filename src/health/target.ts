/**
 * What a health gate waits for, as data: the targets to probe and the
 * checks an HTTP answer must pass. The CLI's options build these; a library
 * caller writes them directly, leaving out whatever has a default.
 */
import { Data } from "effect"

/**
 * @since 0.2.0
 * @category models
 */
export type Method = "GET" | "HEAD" | "POST"

/**
 * @since 0.2.0
 * @category models
 */
export type Header = readonly [name: string, value: string]

/**
 * An inclusive range of status codes.
 * @since 0.1.0
 * @category models
 */
export interface StatusRange {
  readonly min: number
  readonly max: number
}

/**
 * `200`, `200-399`, `200-299,401`: as `--expect-status` reads.
 * @since 0.2.0
 * @category formatting
 */
export const formatStatusList = (ranges: ReadonlyArray<StatusRange>): string =>
  ranges.map((range) => (range.min === range.max ? `${range.min}` : `${range.min}-${range.max}`)).join(",")

/**
 * How much of a body the Body and Json checks read at most: enough for a health document, and a bound against an endless one.
 * @since 0.2.0
 * @category utils
 */
export const bodyCheckBytes = 64 * 1024

/**
 * One thing an HTTP answer must show; a target's checks must all hold.
 * @since 0.2.0
 * @category models
 */
export type Check = Data.TaggedEnum<{
  /** The final status is in one of these ranges. Without a Status check, only 200 is healthy. */
  Status: { readonly accepted: ReadonlyArray<StatusRange> }
  /** The body's first 64 KiB match `pattern` (tested with `String.prototype.search`, so a `g` flag changes nothing). */
  Body: { readonly pattern: RegExp }
  /** The body is JSON whose value at the dotted `path` (`items.0.name`) reads as `value` (`"UP"`, `"true"`, `"42"`). */
  Json: { readonly path: string; readonly value: string }
  /** The answer has a header `name` (any case) whose value matches `pattern`. */
  Header: { readonly name: string; readonly pattern: RegExp }
}>

export const Check = Data.taggedEnum<Check>()

/**
 * @since 0.2.0
 * @category models
 */
export type Target = Data.TaggedEnum<{
  /**
   * Healthy when a request of `url` is answered and every check holds.
   * Defaults: `method` GET, no extra `headers`, `checks` none (status 200).
   * With `unixSocket`, every request of the probe, redirects included, goes
   * over that socket and the URL's host is only the Host header.
   */
  Http: {
    readonly url: URL
    readonly method?: Method | undefined
    readonly headers?: ReadonlyArray<Header> | undefined
    readonly unixSocket?: string | undefined
    readonly checks?: ReadonlyArray<Check> | undefined
  }
  /** Healthy when a TCP connection to `host` (an IPv6 address without brackets) and `port` opens. */
  Tcp: { readonly host: string; readonly port: number }
}>

export const Target = Data.taggedEnum<Target>()

/**
 * @since 0.2.0
 * @category models
 */
export type HttpTarget = Data.TaggedEnum.Value<Target, "Http">

/** The status codes a target accepts: those of its Status checks, each of which must hold; 200 when it has none. */
export const acceptsStatus = (checks: ReadonlyArray<Check>, status: number): boolean => {
  const lists = checks.filter(Check.$is("Status"))
  return lists.length === 0
    ? status === 200
    : lists.every(({ accepted }) => accepted.some((range) => status >= range.min && status <= range.max))
}

/**
 * How logs and errors name a target: its URL, or `tcp://host:port`.
 * @since 0.2.0
 * @category formatting
 */
export const targetName: (target: Target) => string = Target.$match({
  Http: ({ unixSocket, url }) => (unixSocket === undefined ? url.href : `${url.href} via ${unixSocket}`),
  Tcp: ({ host, port }) => `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`
})

const describeCheck: (check: Check) => string = Check.$match({
  Status: () => "",
  Body: ({ pattern }) => `a body matching ${pattern}`,
  Json: ({ path, value }) => `JSON ${path} = ${value}`,
  Header: ({ name, pattern }) => `a ${name} header matching ${pattern}`
})

/** What a healthy target does, for the first log line: `answer 200 with a body matching /UP/`. */
export const expectation: (target: Target) => string = Target.$match({
  Http: ({ checks = [], method = "GET" }) => {
    const statuses = checks.filter(Check.$is("Status")).map(({ accepted }) => formatStatusList(accepted))
    const others = checks.map(describeCheck).filter((text) => text !== "")
    return `answer ${method === "GET" ? "" : `${method} with `}${statuses.length === 0 ? "200" : statuses.join(" and ")}` +
      (others.length === 0 ? "" : ` with ${others.join(" and ")}`)
  },
  Tcp: () => "accept a connection"
})
