import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { proxyFor, proxyName, proxySettingsFromEnv } from "../../../src/health/proxy.js"

const HTTP = "http://proxy.internal:3128/"
const HTTPS = "http://secure-proxy.internal:3128/"

/** The proxy chosen for `target` with these variables, or "direct". */
const route = (env: Record<string, string>, target: string): string => {
  const settings = Either.getOrThrow(proxySettingsFromEnv(env))
  return proxyFor(settings, new URL(target))?.url.href ?? "direct"
}

describe("proxyFor", () => {
  const both = { HTTP_PROXY: HTTP, HTTPS_PROXY: HTTPS }

  it.each([
    // scheme picks the variable
    [both, "http://example.com/", HTTP],
    [both, "https://example.com/", HTTPS],
    [{ HTTP_PROXY: HTTP }, "https://example.com/", "direct"],
    [{}, "http://example.com/", "direct"],
    // loopback is always direct, whatever NO_PROXY says
    [both, "http://localhost:8080/", "direct"],
    [both, "https://127.0.0.1:58074/healthcheck", "direct"],
    [both, "http://127.9.8.7/", "direct"],
    [both, "http://[::1]:8080/", "direct"],
    [both, "http://[::ffff:127.0.0.1]/", "direct"],
    [both, "http://10.0.0.1/", HTTP],
    [both, "http://localhost.:8080/", "direct"],
    [both, "http://LocalHost/", "direct"],
    [both, "http://web.localhost:8080/", "direct"],
    [both, "http://web.localhost./", "direct"],
    [both, "http://127.0.0.1./", "direct"],
    [both, "http://localhost.example.com/", HTTP],
    [both, "http://notlocalhost/", HTTP],
    // a trailing dot names the same host
    [{ ...both, NO_PROXY: "example.com" }, "http://api.example.com./", "direct"],
    // lower case works too; upper case wins; empty counts as unset
    [{ http_proxy: HTTP }, "http://example.com/", HTTP],
    [{ HTTP_PROXY: HTTP, http_proxy: "http://other:1/" }, "http://example.com/", HTTP],
    [{ HTTP_PROXY: "", http_proxy: HTTP }, "http://example.com/", HTTP],
    [{ HTTP_PROXY: "proxy.internal:3128" }, "http://example.com/", HTTP],
    // NO_PROXY
    [{ ...both, NO_PROXY: "*" }, "http://example.com/", "direct"],
    [{ ...both, no_proxy: "example.com" }, "http://example.com/", "direct"],
    [{ ...both, NO_PROXY: "example.com" }, "http://api.example.com/", "direct"],
    [{ ...both, NO_PROXY: "example.com" }, "http://notexample.com/", HTTP],
    [{ ...both, NO_PROXY: ".example.com" }, "http://example.com/", HTTP],
    [{ ...both, NO_PROXY: ".example.com" }, "http://api.example.com/", "direct"],
    [{ ...both, NO_PROXY: "*.example.com" }, "http://api.example.com/", "direct"],
    [{ ...both, NO_PROXY: "*.example.com" }, "http://example.com/", HTTP],
    [{ ...both, NO_PROXY: " other.org , EXAMPLE.com " }, "http://example.com/", "direct"],
    [{ ...both, NO_PROXY: "example.com:8080" }, "http://example.com:8080/", "direct"],
    [{ ...both, NO_PROXY: "example.com:8080" }, "http://example.com/", HTTP],
    [{ ...both, NO_PROXY: "example.com:443" }, "https://example.com/", "direct"],
    [{ ...both, NO_PROXY: "10.0.0.0/8" }, "http://10.244.1.5:8080/", "direct"],
    [{ ...both, NO_PROXY: "10.0.0.0/8" }, "http://11.0.0.1/", HTTP],
    [{ ...both, NO_PROXY: "10.0.0.0/8" }, "http://10.example.com/", HTTP],
    [{ ...both, NO_PROXY: "fd00::/8" }, "http://[fd12::1]/", "direct"],
    [{ ...both, NO_PROXY: "192.168.1.10" }, "http://192.168.1.10:9000/", "direct"],
    [{ ...both, NO_PROXY: "192.168.1.10:9000" }, "http://192.168.1.10:9001/", HTTP],
    [{ ...both, NO_PROXY: "[fd00::1]:80" }, "http://[fd00::1]/", "direct"],
    [{ ...both, NO_PROXY: "fd00::1" }, "http://[fd00::1]:81/", "direct"],
    [{ ...both, NO_PROXY: "[fd00::1]" }, "http://[fd00::1]:81/", "direct"],
    [{ ...both, NO_PROXY: "fd00::/16" }, "http://[fd01::1]/", HTTP],
    [{ ...both, NO_PROXY: "example.com:80" }, "http://example.com/", "direct"],
    [{ ...both, NO_PROXY: "example.com:80" }, "https://example.com/", HTTPS],
    [{ ...both, NO_PROXY: "10.0.0.1" }, "http://10.0.0.1:8080/", "direct"],
    [{ ...both, NO_PROXY: "10.0.0.1" }, "http://10.0.0.2/", HTTP],
    [{ ...both, NO_PROXY: "10.0.0.0/8" }, "http://[fd00::1]/", HTTP],
    [{ ...both, NO_PROXY: "example.com" }, "http://example.com./", "direct"],
    [{ HTTP_PROXY: HTTP, http_proxy: "" }, "http://example.com/", HTTP],
    [{ http_proxy: "" }, "http://example.com/", "direct"],
    [{ HTTPS_PROXY: "HTTPS://Secure-Proxy.internal:3128" }, "https://example.com/", HTTPS.replace("http:", "https:")],
    [{ HTTPS_PROXY: "socks5://proxy.internal:1080" }, "https://example.com/", "socks5://proxy.internal:1080"],
    // entries Go cannot read are ignored, not fatal
    [{ ...both, NO_PROXY: "10.0.0.0/33,:80,," }, "http://10.0.0.1/", HTTP],
    [{ ...both, NO_PROXY: "proxy/8,fd00::/129,[]:80" }, "http://10.0.0.1/", HTTP],
    [{ ...both, NO_PROXY: "fd00::/129" }, "http://[fd00::1]/", HTTP],
    // an entry is read whole: no partial match of a bracketed host, a CIDR or a proxy scheme
    [{ ...both, NO_PROXY: "[fd00::1]:80x" }, "http://[fd00::1]/", HTTP],
    [{ ...both, NO_PROXY: "a[fd00::1]:80" }, "http://[fd00::1]/", HTTP],
    [{ ...both, NO_PROXY: "10.0.0.0/8x" }, "http://10.0.0.1/", HTTP],
    [{ HTTP_PROXY: "proxy.internal:3128/a://b" }, "http://example.com/", `${HTTP}a://b`],
    // prefix lengths up to the family's size; addresses compared as addresses, not text
    [{ ...both, NO_PROXY: "10.0.0.0/16" }, "http://10.0.5.5/", "direct"],
    [{ ...both, NO_PROXY: "10.0.0.1/32" }, "http://10.0.0.1/", "direct"],
    [{ ...both, NO_PROXY: "fd00::/64" }, "http://[fd00::1]/", "direct"],
    [{ ...both, NO_PROXY: "fd00:0:0::1" }, "http://[fd00::1]/", "direct"]
  ])("%j routes %s via %s", (env, target, expected) => {
    expect(route(env, target)).toBe(expected)
  })

  it("remembers which variable named the proxy, and names a proxy without its credentials", () => {
    const settings = Either.getOrThrow(proxySettingsFromEnv({ http_proxy: "http://user:secret@proxy.internal:3128" }))
    const proxy = proxyFor(settings, new URL("http://example.com/"))!
    expect(proxy.variable).toBe("http_proxy")
    expect(proxyName(proxy.url)).toBe("http://proxy.internal:3128")
  })

  it("refuses a proxy variable that is not a proxy URL", () => {
    expect(proxySettingsFromEnv({ HTTPS_PROXY: "ftp://proxy:21" })).toEqual(
      Either.left(`HTTPS_PROXY="ftp://proxy:21" is not a proxy URL; use e.g. http://proxy.example.com:3128`)
    )
    expect(Either.isLeft(proxySettingsFromEnv({ http_proxy: "http://[bad" }))).toBe(true)
    expect(proxySettingsFromEnv({ https_proxy: "socks5:///no-host" })).toEqual(
      Either.left(`https_proxy="socks5:///no-host" is not a proxy URL; use e.g. http://proxy.example.com:3128`)
    )
  })
})
