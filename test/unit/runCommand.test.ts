import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Ref } from "effect"
import { ExitStatus, runCommand } from "../../src/cli/runCommand.js"

const listeners = () => process.listenerCount("SIGTERM") + process.listenerCount("SIGINT")

describe("runCommand", () => {
  it.live("a stop signal interrupts the program, runs its finalizers and exits 128 + the signal", () =>
    Effect.gen(function*() {
      const before = listeners()
      const released = yield* Ref.make(false)
      const program = Effect.acquireRelease(Effect.void, () => Ref.set(released, true)).pipe(Effect.zipRight(Effect.never), Effect.scoped)
      const fiber = yield* Effect.fork(runCommand({ command: "kill", logFormat: "json" }, program))
      while (listeners() === before) yield* Effect.yieldNow()
      process.emit("SIGTERM", "SIGTERM")
      const exit = yield* Fiber.await(fiber)
      expect(exit).toStrictEqual(Exit.fail(new ExitStatus({ code: 143 })))
      expect(yield* Ref.get(released)).toBe(true)
      expect(listeners()).toBe(before)
    }))

  it.live("a program that finishes first leaves no signal listener behind", () =>
    Effect.gen(function*() {
      const before = listeners()
      yield* runCommand({ command: "status", logFormat: "json" }, Effect.void)
      expect(listeners()).toBe(before)
    }))
})
