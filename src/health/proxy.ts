/**
 * Which proxy, if any, a probe goes through. Follows Go's
 * `http.ProxyFromEnvironment` (golang.org/x/net/http/httpproxy), which BOSH
 * jobs already live with, including CIDR blocks in NO_PROXY that undici's
 * EnvHttpProxyAgent ignores. Loopback is always reached directly: a health
 * check of the local job must not depend on a proxy (kubernetes#48792).
 */
import { Array as Arr, Either, Option } from "effect"
import { BlockList, isIP } from "node:net"

/**
 * A proxy and the variable that named it, so a failure can point at both.
 * @since 0.1.0
 * @category models
 */
export interface Proxy {
  readonly url: URL
  readonly variable: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ProxySettings {
  readonly http: Proxy | undefined
  readonly https: Proxy | undefined
  readonly noProxy: ReadonlyArray<Bypass>
}

/** A NO_PROXY entry: does it exempt this host (without brackets) and port? */
type Bypass = (host: string, port: string) => boolean

const loopback = new BlockList()
loopback.addSubnet("127.0.0.0", 8, "ipv4")
loopback.addAddress("::1", "ipv6")

const ipFamily = (host: string): "ipv4" | "ipv6" | undefined => {
  const family = isIP(host)
  return family === 4 ? "ipv4" : family === 6 ? "ipv6" : undefined
}

const inBlock = (block: BlockList): Bypass => (host) => {
  const family = ipFamily(host)
  // Equivalent mutant, not disabled (the line's other ConditionalExpression mutants are killable): family !== undefined
  // → true; BlockList.check answers false for a name.
  return family !== undefined && block.check(host, family)
}

const withPort = (port: string, bypass: Bypass): Bypass => (host, hostPort) => (port === "" || port === hostPort) && bypass(host, hostPort)

/** Go's `net.SplitHostPort`, answering undefined where Go fails. */
const splitHostPort = (entry: string): readonly [string, string] | undefined => {
  const bracketed = /^\[([^\]]*)\]:(\d*)$/.exec(entry)
  if (bracketed) return [bracketed[1]!, bracketed[2]!]
  const colon = entry.indexOf(":")
  // Equivalent mutant, not disabled (< 0 is killable): colon >= 0 → > 0; an entry with an empty host, such as ":80",
  // then becomes a name that no host equals or ends with, instead of being refused.
  return colon >= 0 && colon === entry.lastIndexOf(":") ? [entry.slice(0, colon), entry.slice(colon + 1)] : undefined
}

const parseBypass = (entry: string): Bypass | undefined => {
  if (entry === "*") return () => true
  // Equivalent mutant, not disabled (the regex's other mutants are killable): dropping ^; [^/]+ starts at the first
  // character anyway.
  const cidr = /^([^/]+)\/(\d{1,3})$/.exec(entry)
  if (cidr) {
    const family = ipFamily(cidr[1]!)
    const prefix = Number(cidr[2])
    if (family === undefined || prefix > (family === "ipv4" ? 32 : 128)) return undefined
    const block = new BlockList()
    block.addSubnet(cidr[1]!, prefix, family)
    return inBlock(block)
  }
  // Equivalent mutants, not disabled (the regex's other mutant is killable): dropping ^ or $; an entry stripped of one
  // bracket only is no IP address either way, so it matches no host.
  const [host, port] = splitHostPort(entry) ?? [entry.replace(/^\[(.*)\]$/, "$1"), ""]
  // An empty host let through becomes the suffix ".", which no host (its trailing dot stripped) ends with. → false is
  // equivalent for that reason too, but not disabled: → true is killable.
  // Stryker disable next-line StringLiteral: see above
  if (host === "") return undefined
  const family = ipFamily(host)
  if (family !== undefined) {
    const block = new BlockList()
    block.addAddress(host, family)
    return withPort(port, inBlock(block))
  }
  // "example.com" exempts it and its subdomains; ".example.com" and "*.example.com" only subdomains.
  // Equivalent mutant, not disabled (the other startsWith → endsWith here is killable): startsWith("*.") → endsWith; the
  // suffix is computed apart, and an entry starting with "*." never equals a host.
  const matchesItself = !host.startsWith(".") && !host.startsWith("*.")
  const suffix = host.startsWith("*.") ? host.slice(1) : matchesItself ? `.${host}` : host
  return withPort(port, (target) => target.endsWith(suffix) || (matchesItself && target === host))
}

const parseProxy = (variable: string, value: string | undefined): Either.Either<Proxy | undefined, string> => {
  if (value === undefined) return Either.right(undefined)
  // Go reads "proxy:3128" as http://proxy:3128.
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`
  const url = URL.canParse(text) ? new URL(text) : undefined
  return url !== undefined && url.hostname !== "" && ["http:", "https:", "socks5:"].includes(url.protocol)
    ? Either.right({ url, variable })
    : Either.left(`${variable}="${value}" is not a proxy URL; use e.g. http://proxy.example.com:3128`)
}

/** Go reads the upper-case variable first, then the lower-case one; empty means unset. */
const lookup = (env: Readonly<Record<string, string | undefined>>, name: string): readonly [string, string | undefined] => {
  const upper = env[name]
  if (upper !== undefined && upper !== "") return [name, upper]
  const lower = env[name.toLowerCase()]
  return [name.toLowerCase(), lower === "" ? undefined : lower]
}

/**
 * Reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY (either case); a malformed proxy URL is refused.
 * @since 0.1.0
 * @category parsers
 */
export const proxySettingsFromEnv = (env: Readonly<Record<string, string | undefined>>): Either.Either<ProxySettings, string> =>
  Either.all({
    http: parseProxy(...lookup(env, "HTTP_PROXY")),
    https: parseProxy(...lookup(env, "HTTPS_PROXY")),
    // Go ignores NO_PROXY entries it cannot read.
    noProxy: Either.right(
      // Equivalent mutant, not disabled (the line's other StringLiteral mutants are killable): the "" of an unset NO_PROXY →
      // other text; that one entry matches no real host.
      Arr.filterMap((lookup(env, "NO_PROXY")[1] ?? "").split(","), (entry) =>
        Option.fromNullable(parseBypass(entry.trim().toLowerCase())))
    )
  })

const defaultPort = (url: URL): string => url.port !== "" ? url.port : url.protocol === "https:" ? "443" : "80"

/**
 * `localhost` and its subdomains (RFC 6761), in any case, with or without
 * the root's trailing dot. A proxy would resolve them to its own loopback,
 * never the job's; sent directly they reach this VM's loopback (connect.ts).
 */
export const isLocalhostName = (host: string): boolean => {
  const name = host.toLowerCase().replace(/\.$/, "")
  return name === "localhost" || name.endsWith(".localhost")
}

/**
 * The proxy for a request to `target`, or undefined to connect directly.
 * @since 0.1.0
 * @category utils
 */
export const proxyFor = (settings: ProxySettings, target: URL): Proxy | undefined => {
  const proxy = target.protocol === "https:" ? settings.https : settings.http
  // Equivalent mutant, not disabled (→ true is killable): proxy === undefined → false; the last line answers undefined
  // then too.
  if (proxy === undefined) return undefined
  // "example.com." is example.com, fully qualified.
  // Equivalent mutants, not disabled (the regexes' other mutants are killable): dropping ^ or $ of the first regex; a
  // URL's hostname has its brackets at both ends or none.
  const host = target.hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "")
  const port = defaultPort(target)
  if (isLocalhostName(host) || inBlock(loopback)(host, port)) return undefined
  return settings.noProxy.some((bypass) => bypass(host, port)) ? undefined : proxy
}

/**
 * A proxy as messages name it: scheme, host and port, never its credentials.
 * @since 0.1.0
 * @category formatting
 */
export const proxyName = (proxy: URL): string => `${proxy.protocol}//${proxy.host}`
