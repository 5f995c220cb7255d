/**
 * The stop signals, received for the whole life of the process: from the
 * first listener on, none of them ends sipid outright. A signal that lands
 * while a command runs stops it in order (see runCommand); one that lands
 * before the command starts stops it as soon as it does; one that lands
 * after the command finished changes nothing: its outcome is decided.
 */
import { Deferred, Effect, FiberId } from "effect"
import { signalExitCode, type StopSignal } from "./exitCodes.js"

const stopSignals = Object.keys(signalExitCode) as ReadonlyArray<StopSignal>

let received: Deferred.Deferred<StopSignal> | undefined

/** Starts listening, once per process: done with the first stop signal received since. */
export const firstStopSignal = (): Deferred.Deferred<StopSignal> => {
  if (received === undefined) {
    const deferred = Deferred.unsafeMake<StopSignal>(FiberId.none)
    const onSignal = (signal: StopSignal) => Deferred.unsafeDone(deferred, Effect.succeed(signal))
    for (const signal of stopSignals) process.on(signal, onSignal)
    received = deferred
  }
  return received
}
