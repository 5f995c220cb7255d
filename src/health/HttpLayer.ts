/**
 * The HttpClient that wait-until-healthy probes with: undici, with TLS
 * settings, a connect time-out, one request per connection, and per-origin
 * routing to a proxy or straight to the server. Importing this module loads
 * undici, so the CLI imports it only for wait-until-healthy.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Undici from "@effect/platform-node/Undici"
import { Duration, Effect, Layer, type Scope } from "effect"
import { ThroughProxy, tunnelRefusedCode } from "./failure.js"
import { skipInterimContinue } from "./interimContinue.js"
import { proxyFor, proxyName, type ProxySettings } from "./proxy.js"
import type { TlsOptions } from "./tls.js"

export interface HttpSettings {
  readonly tls: TlsOptions
  readonly proxies: ProxySettings
  /**
   * Bounds TCP connect plus TLS handshake. Aborting a request does not stop a
   * connection attempt in progress, and that socket would keep the process
   * alive until this time-out (undici's default is 10 s).
   */
  readonly connectTimeout: Duration.Duration
}

const scopedDispatcher = <D extends Undici.Dispatcher>(make: () => D): Effect.Effect<D, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.sync(make), (dispatcher) => Effect.promise(() => dispatcher.destroy()))

/**
 * undici retries at once, for as long as the request lasts, a connection that
 * failed with UND_ERR_SOCKET. A proxy that hangs up instead of answering
 * CONNECT fails that way (thousands of CONNECTs within one probe); only a
 * tunnel's connect can, and under another code the request fails instead.
 */
const refusedTunnel = (error: Error): Error =>
  (error as { readonly code?: unknown }).code === "UND_ERR_SOCKET"
    ? Object.assign(new Error("the proxy closed the connection instead of answering CONNECT"), { code: tunnelRefusedCode })
    : error

/**
 * Every connection opened, direct, to a proxy or through its tunnel: a tunnel
 * the proxy hung up on fails the request, and reads skip an unasked
 * `100 Continue` (see interimContinue.ts).
 */
const guarded = (connect: Undici.buildConnector.connector): Undici.buildConnector.connector => (options, callback) =>
  connect(options, (...[error, socket]) => error === null ? callback(null, skipInterimContinue(socket)) : callback(refusedTunnel(error), null))

/** The pools behind every agent: one request per connection, so an unasked `100 Continue` can only come first. */
const factory = (origin: string | URL, options: object): Undici.Dispatcher => {
  const { connect } = options as { readonly connect: Undici.buildConnector.connector }
  return new Undici.Pool(origin, { ...options, pipelining: 0, connect: guarded(connect) })
}

/** A dispatcher that sends each origin to its proxy or connects directly; all of it is destroyed with the scope. */
export const makeDispatcher = (settings: HttpSettings): Effect.Effect<Undici.Dispatcher, never, Scope.Scope> =>
  Effect.gen(function*() {
    const timeout = Duration.toMillis(settings.connectTimeout)
    const tls = { ...settings.tls, ca: settings.tls.ca?.slice(), timeout }
    const direct = yield* scopedDispatcher(() => new Undici.Agent({ factory, connect: Undici.buildConnector(tls) }))
    // HTTP_PROXY and HTTPS_PROXY often name the same proxy: one agent per distinct URL.
    const proxyUrls = new Set([settings.proxies.http?.url.href, settings.proxies.https?.url.href].filter((href) => href !== undefined))
    const proxies = new Map(
      yield* Effect.forEach(proxyUrls, (uri) =>
        Effect.map(
          // proxyTunnel false: plain http to an http:// proxy goes as `GET http://host/path`, as from Go
          // and curl (squid refuses CONNECT to ports but 443 by default); https, and anything through an
          // https:// proxy, still tunnels (undici forwards only between plain http ends).
          scopedDispatcher(() => new Undici.ProxyAgent({ uri, factory, proxyTunnel: false, requestTls: tls, proxyTls: { ca: tls.ca, timeout } })),
          (agent) => [uri, agent] as const
        ))
    )
    return direct.compose((dispatch) => (options, handler) => {
      const proxy = options.origin === undefined ? undefined : proxyFor(settings.proxies, new URL(options.origin))
      return proxy === undefined ? dispatch(options, handler) : proxies.get(proxy.url.href)!.dispatch(options, handler)
    })
  })

/** Marks the transport errors of proxied requests (redirects included) with the proxy, for `fromHttpClientError`. */
const nameProxyInErrors = (proxies: ProxySettings) => (client: HttpClient.HttpClient): HttpClient.HttpClient =>
  HttpClient.transform(client, (send, request) => {
    const proxy = URL.canParse(request.url) ? proxyFor(proxies, new URL(request.url)) : undefined
    return proxy === undefined ? send : Effect.mapError(send, (error) =>
      error._tag === "RequestError" && error.reason === "Transport"
        ? new HttpClientError.RequestError({
          request: error.request,
          reason: error.reason,
          cause: new ThroughProxy(proxyName(proxy.url), proxy.variable, error.cause)
        })
        : error)
  })

export const layer = (settings: HttpSettings): Layer.Layer<HttpClient.HttpClient> =>
  Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, nameProxyInErrors(settings.proxies))).pipe(
    Layer.provide(NodeHttpClient.layerUndiciWithoutDispatcher),
    Layer.provide(Layer.scoped(NodeHttpClient.Dispatcher, makeDispatcher(settings)))
  )
