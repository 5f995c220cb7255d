/**
 * The pure parsers behind wait-until-healthy's options: the URL, the
 * expected status codes and extra request headers. Each refuses a value with
 * `InvalidProbeSetting`, which the command reports as a usage error.
 */
import { Either } from "effect"
import { InvalidProbeSetting } from "../errors.js"

const invalid = (input: string, reason: string) => Either.left(new InvalidProbeSetting({ input, reason }))

/** Refuses anything but http and https before a single request is made. */
export const parseUrl = (text: string): Either.Either<URL, InvalidProbeSetting> => {
  // WHATWG URLs (which undici, and so sipid, connect through) have no IPv6 zone ids.
  const zone = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/@]*@)?\[[0-9a-f:.]*(%[^\]]*)\]/i.exec(text)
  if (zone) {
    return invalid(
      text,
      `"${text}": an IPv6 address with a zone id (${zone[1]}) cannot be probed, as Node's URL parser refuses zone ids; ` +
        `use the job's global or unique local address, or a host name`
    )
  }
  if (!URL.canParse(text)) return invalid(text, `"${text}" is not a URL; use e.g. https://127.0.0.1:8443/healthcheck`)
  const url = new URL(text)
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return invalid(text, `"${text}": only http and https URLs can be probed`)
  }
  if (url.username !== "" || url.password !== "") {
    return invalid(text, `"${url.host}": credentials in the URL are not sent; use --header 'Authorization: ...'`)
  }
  return Either.right(url)
}

/** The inclusive range of status codes that count as healthy. */
export interface StatusRange {
  readonly min: number
  readonly max: number
}

export const formatStatusRange = (range: StatusRange): string =>
  range.min === range.max ? `${range.min}` : `${range.min}-${range.max}`

export const statusInRange = (range: StatusRange, status: number): boolean => status >= range.min && status <= range.max

const statusRange = /^([1-5]\d\d)(?:-([1-5]\d\d))?$/

/** `200` or `200-399`. */
export const parseStatusRange = (text: string): Either.Either<StatusRange, InvalidProbeSetting> => {
  const match = statusRange.exec(text)
  const min = Number(match?.[1])
  const max = match?.[2] === undefined ? min : Number(match[2])
  return match !== null && min <= max
    ? Either.right({ min, max })
    : invalid(text, `"${text}" is not a status code or range; use e.g. 200 or 200-399`)
}

// RFC 9110 token characters; a value may hold anything visible, spaces and tabs.
const headerLine = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\t\x20-\x7e\x80-\xff]*?)[ \t]*$/

/**
 * Headers the client sets itself, refused when the option is read: given to
 * undici, most would fail every probe instead. A probe is a GET without a
 * body, on a connection of its own, and its proxy credentials come from the
 * proxy variable. `Host` stays allowed, as in curl, to probe a virtual host
 * by address.
 */
const clientHeaders = new Map<string, string>([
  ...["content-length", "transfer-encoding", "trailer", "expect"].map((name) => [name, "a probe is a GET without a body"] as const),
  ...["connection", "keep-alive", "proxy-connection", "te", "upgrade"].map((name) =>
    [name, "sipid manages its connections (one request each)"] as const
  ),
  ["proxy-authorization", "it comes from the proxy variable (HTTP_PROXY=http://user:password@proxy:3128)"]
])

/** `Name: value`, as curl takes it. */
export const parseHeader = (text: string): Either.Either<readonly [name: string, value: string], InvalidProbeSetting> => {
  const match = headerLine.exec(text)
  if (match === null) return invalid(text, `"${text}" is not a header; use 'Name: value' on one line`)
  const name = match[1]!.toLowerCase()
  const reason = clientHeaders.get(name)
  return reason === undefined
    ? Either.right([name, match[2]!] as const)
    : invalid(text, `"${text}": ${match[1]} is sipid's to set: ${reason}; leave it out`)
}
