/**
 * sipid's health check as a library ("sipid/health"): the probe program,
 * which needs only an HttpClient, and the undici layer sipid builds for it.
 */
export { type Healthy, type ProbeSettings, waitUntilHealthy } from "./probe.js"
export { describe as describeProbeFailure, hint as probeFailureHint, ProbeFailure } from "./failure.js"
export * as HealthHttp from "./HttpLayer.js"
export { type Proxy, proxyFor, proxyName, type ProxySettings, proxySettingsFromEnv } from "./proxy.js"
export { parseHeader, parseStatusRange, parseUrl, type StatusRange } from "./options.js"
export { loadTls, type TlsFiles, type TlsOptions } from "./tls.js"
