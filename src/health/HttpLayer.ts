/**
 * The Transport that the wait programs probe with: undici, with TLS
 * settings, a connect time-out, one request per connection, per-origin
 * routing to a proxy or straight to the server, unix sockets, and
 * `localhost` on both loopbacks. Importing this module loads undici, so the
 * CLI imports it only for the wait commands.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Undici from "@effect/platform-node/Undici"
import { Duration, Effect, Layer, type Scope } from "effect"
import { loopbackFirst, tcpProbe } from "./connect.js"
import { ThroughProxy, tunnelRefusedCode } from "./failure.js"
import { skipInterimContinue } from "./interimContinue.js"
import { proxyFor, proxyName, type ProxySettings } from "./proxy.js"
import { defaults } from "./settings.js"
import type { TlsOptions } from "./tls.js"
import { Transport } from "./Transport.js"

/**
 * @since 0.1.0
 * @category options
 */
export interface HttpSettings {
  /** Default: certificates verified against the system roots, no client certificate. */
  readonly tls?: TlsOptions | undefined
  /** Default: every request direct (see `proxySettingsFromEnv`). */
  readonly proxies?: ProxySettings | undefined
  /**
   * Bounds TCP connect plus TLS handshake; default 5s, the request time-out's
   * default. Aborting a request does not stop a connection attempt in
   * progress, and that socket would keep the process alive until this
   * time-out (undici's default is 10 s).
   */
  readonly connectTimeout?: Duration.Duration | undefined
}

interface Resolved {
  /** Node's TLS options (with a copy of the CA list, which Node types as mutable), and the connect time-out in milliseconds. */
  readonly tls: Omit<TlsOptions, "ca"> & { readonly ca?: Array<string>; readonly timeout: number }
  readonly proxies: ProxySettings
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
const makeDispatcher = ({ proxies, tls: { timeout, ...tls } }: Resolved): Effect.Effect<Undici.Dispatcher, never, Scope.Scope> =>
  Effect.gen(function*() {
    const direct = yield* scopedDispatcher(() => new Undici.Agent({ factory, connect: loopbackFirst(Undici.buildConnector({ ...tls, timeout })) }))
    // HTTP_PROXY and HTTPS_PROXY often name the same proxy: one agent per distinct URL.
    const proxyUrls = new Set([proxies.http?.url.href, proxies.https?.url.href].filter((href) => href !== undefined))
    const agents = new Map(
      yield* Effect.forEach(proxyUrls, (uri) =>
        Effect.map(
          // proxyTunnel false: plain http to an http:// proxy goes as `GET http://host/path`, as from Go
          // and curl (squid refuses CONNECT to ports but 443 by default); https, and anything through an
          // https:// proxy, still tunnels (undici forwards only between plain http ends).
          scopedDispatcher(() =>
            new Undici.ProxyAgent({ uri, factory, proxyTunnel: false, requestTls: { ...tls, timeout }, proxyTls: { ca: tls.ca, timeout } })
          ),
          (agent) => [uri, agent] as const
        ))
    )
    return direct.compose((dispatch) => (options, handler) => {
      // Equivalent mutant, not disabled (→ true is killable): options.origin === undefined → false; a dispatcher composed on
      // an undici Agent always gets the request's origin.
      const proxy = options.origin === undefined ? undefined : proxyFor(proxies, new URL(options.origin))
      return proxy === undefined ? dispatch(options, handler) : agents.get(proxy.url.href)!.dispatch(options, handler)
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

/**
 * A client per unix socket, made when first asked for: every request over
 * it, whatever its URL's host, goes to the socket; destroyed with the scope.
 */
const makeSocketClients = ({ tls }: Resolved): Effect.Effect<(path: string) => HttpClient.HttpClient, never, Scope.Scope> =>
  Effect.gen(function*() {
    const clients = new Map<string, { readonly agent: Undici.Dispatcher; readonly client: HttpClient.HttpClient }>()
    yield* Effect.addFinalizer(() => Effect.promise(() => Promise.all([...clients.values()].map(({ agent }) => agent.destroy()))))
    return (path) => {
      const made = clients.get(path) ?? (() => {
        const agent = new Undici.Agent({ factory, connect: Undici.buildConnector({ ...tls, socketPath: path }) })
        return { agent, client: NodeHttpClient.makeUndici(agent) }
      })()
      clients.set(path, made)
      return made.client
    }
  })

const noProxies: ProxySettings = { http: undefined, https: undefined, noProxy: [] }

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (settings: HttpSettings = {}): Layer.Layer<Transport> =>
  Layer.scoped(
    Transport,
    Effect.gen(function*() {
      const { ca, ...tls } = settings.tls ?? { rejectUnauthorized: true }
      const timeout = Duration.toMillis(settings.connectTimeout ?? defaults.requestTimeout)
      // Stryker disable next-line MethodExpression: the copy only turns the readonly array into the mutable one undici's type asks for; undici does not change it
      const resolved: Resolved = { tls: { ...tls, ...(ca && { ca: ca.slice() }), timeout }, proxies: settings.proxies ?? noProxies }
      const direct = nameProxyInErrors(resolved.proxies)(NodeHttpClient.makeUndici(yield* makeDispatcher(resolved)))
      const overSocket = yield* makeSocketClients(resolved)
      return {
        http: (unixSocket) => (unixSocket === undefined ? direct : overSocket(unixSocket)),
        tcp: tcpProbe(loopbackFirst(Undici.buildConnector({ timeout })))
      }
    })
  )
