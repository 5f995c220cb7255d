/**
 * sipid as a library: the pidfile programs, the services they depend on,
 * and their live and test layers, for use inside other Effect apps.
 */
export * as Pidfile from "./pidfile/programs.js"
export * from "./errors.js"
export { type Pid, parsePid, parsePidfileContent, type PidfileContent } from "./process/Pid.js"
export * from "./process/Processes.js"
export * as ProcessesLive from "./process/ProcessesLive.js"
export * from "./pidfile/PidfileFiles.js"
export * as PidfileFilesLive from "./pidfile/PidfileFilesLive.js"
export { lock, type LockedPidfile } from "./pidfile/lock.js"
export { Libc, LibcLive } from "./native/Libc.js"
export { SipidLive } from "./SipidLive.js"
export { parseGoDuration, formatGoDuration } from "./cli/goDuration.js"
export { type Healthy, type ProbeSettings, waitUntilHealthy } from "./health/probe.js"
export { describe as describeProbeFailure, hint as probeFailureHint, ProbeFailure } from "./health/failure.js"
export * as HealthHttp from "./health/HttpLayer.js"
export { proxyFor, type ProxySettings, proxySettingsFromEnv } from "./health/proxy.js"
export { parseHeader, parseStatusRange, parseUrl, type StatusRange } from "./health/options.js"
export { loadTls, type TlsFiles, type TlsOptions } from "./health/tls.js"
