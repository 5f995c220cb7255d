/**
 * The pure parsers behind the targets of wait-until-healthy and
 * wait-until-unhealthy: URLs, TCP addresses, extra request headers. Each
 * refuses a value with `InvalidProbeSetting`, which the command reports as a
 * usage error; checkOptions.ts has the parsers of the checks.
 */
import { Either } from "effect"
import { isIP } from "node:net"
import { InvalidProbeSetting } from "./errors.js"

export const invalid = (input: string, reason: string) => Either.left(new InvalidProbeSetting({ input, reason }))

/**
 * Refuses anything but http and https before a single request is made.
 * @since 0.1.0
 * @category parsers
 */
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
    return invalid(text, `"${url.host}": credentials in the URL are not sent; send them in an Authorization header instead`)
  }
  return Either.right(url)
}

/** RFC 9110 token characters: a header's name. */
export const headerName = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+"

// A value may hold anything visible, spaces and tabs.
const headerLine = new RegExp(`^(${headerName}):[ \\t]*([\\t\\x20-\\x7e\\x80-\\xff]*?)[ \\t]*$`)

/**
 * Headers the client sets itself, refused when the option is read: given to
 * undici, most would fail every probe instead. A probe sends no body (a
 * POST an empty one), on a connection of its own, and its proxy credentials
 * come from the proxy variable. `Host` stays allowed, as in curl, to probe a virtual host
 * by address.
 */
const clientHeaders = new Map<string, string>([
  ...["content-length", "transfer-encoding", "trailer", "expect"].map((name) => [name, "a probe sends no body"] as const),
  ...["connection", "keep-alive", "proxy-connection", "te", "upgrade"].map((name) =>
    [name, "sipid manages its connections (one request each)"] as const
  ),
  ["proxy-authorization", "it comes from the proxy variable (HTTP_PROXY=http://user:password@proxy:3128)"]
])

/**
 * `Name: value`, as curl takes it.
 * @since 0.1.0
 * @category parsers
 */
export const parseHeader = (text: string): Either.Either<readonly [name: string, value: string], InvalidProbeSetting> => {
  const match = headerLine.exec(text)
  if (match === null) return invalid(text, `"${text}" is not a header; use 'Name: value' on one line`)
  const name = match[1]!.toLowerCase()
  const reason = clientHeaders.get(name)
  return reason === undefined
    ? Either.right([name, match[2]!] as const)
    : invalid(text, `"${text}": ${match[1]} is sipid's to set: ${reason}; leave it out`)
}

const hostName = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?$/
const tcpAddress = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/

/**
 * `HOST:PORT`, an IPv6 address in brackets (`[::1]:8080`, as in a URL); the host comes back without them.
 * @since 0.2.0
 * @category parsers
 */
export const parseTcpAddress = (text: string): Either.Either<{ readonly host: string; readonly port: number }, InvalidProbeSetting> => {
  const match = tcpAddress.exec(text)
  const host = match?.[1] ?? match?.[2]
  const port = Number(match?.[3])
  if (match === null || host === undefined) {
    return invalid(
      text,
      isIP(text) === 6
        ? `"${text}": an IPv6 address goes in brackets before the port, as in [::1]:8080`
        : `"${text}" is not HOST:PORT; use e.g. 127.0.0.1:5432 or [::1]:5432`
    )
  }
  if (match[1] !== undefined ? isIP(host) !== 6 : !hostName.test(host)) return invalid(text, `"${text}": "${host}" is not a host name or address`)
  return port >= 1 && port <= 65535 ? Either.right({ host, port }) : invalid(text, `"${text}": the port must be from 1 to 65535`)
}

/**
 * A count of rounds: a whole number from 1.
 * @since 0.2.0
 * @category parsers
 */
export const parseCount = (text: string): Either.Either<number, InvalidProbeSetting> =>
  /^[1-9]\d{0,5}$/.test(text) ? Either.right(Number(text)) : invalid(text, `"${text}" is not a whole number from 1 to 999999`)
