import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Ref } from "effect"
import type { StopSignal } from "../../src/cli/exitCodes.js"
import { runCommand } from "../../src/cli/runCommand.js"

describe("runCommand", () => {
  it.live("a stop signal interrupts the program, runs its finalizers and yields 128 + the signal", () =>
    Effect.gen(function*() {
      const signal = yield* Deferred.make<StopSignal>()
      const released = yield* Ref.make(false)
      const started = yield* Deferred.make<void>()
      const program = Effect.acquireRelease(Deferred.succeed(started, undefined), () => Ref.set(released, true)).pipe(
        Effect.zipRight(Effect.never),
        Effect.scoped
      )
      const fiber = yield* Effect.fork(runCommand({ command: "kill", logFormat: "json", stopSignal: signal }, program))
      yield* Deferred.await(started)
      yield* Deferred.succeed(signal, "SIGUSR1")
      expect(yield* Fiber.join(fiber)).toBe(138)
      expect(yield* Ref.get(released)).toBe(true)
    }))

  it.live("a signal received before the command started stops it before it does anything", () =>
    Effect.gen(function*() {
      const ran = yield* Ref.make(false)
      const signal = yield* Deferred.make<StopSignal>()
      yield* Deferred.succeed(signal, "SIGHUP")
      const code = yield* runCommand({ command: "kill", logFormat: "json", stopSignal: signal }, Ref.set(ran, true))
      expect(code).toBe(129)
      expect(yield* Ref.get(ran)).toBe(false)
    }))

  it.live("a program that finishes yields its own code, whatever comes later", () =>
    Effect.gen(function*() {
      expect(yield* runCommand({ command: "status", logFormat: "json", stopSignal: yield* Deferred.make<StopSignal>() }, Effect.void)).toBe(0)
    }))
})
