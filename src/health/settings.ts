/**
 * What a wait is given: its targets, and timing with defaults a caller may
 * leave out. The CLI's defaults are these, so the two never differ.
 */
import { type Array as Arr, Duration } from "effect"
import type { ProxySettings } from "./proxy.js"
import type { Target } from "./target.js"

/**
 * @since 0.2.0
 * @category options
 */
export interface Settings {
  /** Every one must be healthy (or, waiting for failure, fail) in the same round. */
  readonly targets: Arr.NonEmptyReadonlyArray<Target>
  /** The overall deadline; no probe runs past it. Default 1m. */
  readonly timeout?: Duration.Duration | undefined
  /** The pause after a round before the next one. Default 5s. */
  readonly pollingFrequency?: Duration.Duration | undefined
  /** The time limit of one round, cut short by the deadline. Default 5s. */
  readonly requestTimeout?: Duration.Duration | undefined
  /** How many rounds in a row must go the way waited for. Default 1. */
  readonly successThreshold?: number | undefined
  /** The proxies the Transport sends requests through, so that a time-out names the one in between. Default none. */
  readonly proxies?: ProxySettings | undefined
}

/**
 * @since 0.2.0
 * @category options
 */
export const defaults = {
  timeout: Duration.minutes(1),
  pollingFrequency: Duration.seconds(5),
  requestTimeout: Duration.seconds(5),
  successThreshold: 1
} as const

/** `settings` with every default filled in. */
export const withDefaults = (settings: Settings) => ({
  timeout: settings.timeout ?? defaults.timeout,
  pollingFrequency: settings.pollingFrequency ?? defaults.pollingFrequency,
  requestTimeout: settings.requestTimeout ?? defaults.requestTimeout,
  successThreshold: settings.successThreshold ?? defaults.successThreshold,
  targets: settings.targets,
  proxies: settings.proxies
})
