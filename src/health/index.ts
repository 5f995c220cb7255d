/**
 * sipid's health gates as a library ("sipid/health"): targets and checks as
 * data, the wait programs, which need only a Transport, and the undici
 * Transport sipid builds for them.
 *
 *     waitUntilHealthy({ targets: [Target.Http({ url: new URL("http://localhost:8080/health") })] })
 *       .pipe(Effect.provide(HealthHttp.layer()))
 */
export { type Down, type Healthy, waitUntilHealthy, waitUntilUnhealthy } from "./wait.js"
export { defaults, type Settings } from "./settings.js"
export { bodyCheckBytes, Check, formatStatusList, type Header, type HttpTarget, type Method, type StatusRange, Target, targetName } from "./target.js"
export { StillHealthy, Unhealthy } from "./verdict.js"
export { describe as describeProbeFailure, hint as probeFailureHint, ProbeFailure, type TargetFailure } from "./failure.js"
export { Transport } from "./Transport.js"
/**
 * @since 0.1.0
 * @category layers
 */
export * as HealthHttp from "./HttpLayer.js"
export { type Proxy, proxyFor, proxyName, type ProxySettings, proxySettingsFromEnv } from "./proxy.js"
export { parseCount, parseHeader, parseTcpAddress, parseUrl } from "./options.js"
export { parseExpectBody, parseExpectHeader, parseExpectJson, parseExpectStatus } from "./checkOptions.js"
export { loadTls, type TlsFiles, type TlsOptions } from "./tls.js"
export { InvalidProbeSetting, type TlsFile, TlsFileInvalid } from "./errors.js"
