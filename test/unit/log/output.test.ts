/**
 * The best-effort writer against a scripted file descriptor and a fake
 * clock: how long it waits for a full pipe, in all, and what it gives up.
 */
import { describe, expect, it } from "@effect/vitest"
import { makeWriter } from "../../../src/log/output.js"

const errno = (code: string) => Object.assign(new Error(code), { code })

/**
 * A descriptor that takes at most `accepts[n]` bytes on the n-th write (the
 * last repeats) and answers EAGAIN when that is 0 (or `failWith`), and a
 * clock each 1 ms sleep moves by `msPerSleep` (a busy machine oversleeps).
 */
const scripted = (accepts: ReadonlyArray<number>, options: { msPerSleep?: number; failWith?: string } = {}) => {
  let clock = 0
  let calls = 0
  const out: Array<string> = []
  const system = {
    write: (_: number, bytes: Uint8Array) => {
      const room = accepts[Math.min(calls++, accepts.length - 1)]!
      if (room === 0) throw errno(options.failWith ?? "EAGAIN")
      const taken = Math.min(room, bytes.length)
      out.push(Buffer.from(bytes.subarray(0, taken)).toString())
      return taken
    },
    sleep: (ms: number) => {
      clock += ms * (options.msPerSleep ?? 1)
    },
    now: () => clock
  }
  return { system, out, elapsed: () => clock, writes: () => calls }
}

describe("makeWriter", () => {
  it("writes a line whole, in as many writes as the descriptor takes", () => {
    const fd = scripted([3, 100])
    expect(makeWriter(fd.system, 300)(2, "hello\n")).toBe(true)
    expect(fd.out.join("")).toBe("hello\n")
  })

  it("waits out a full pipe from one budget for all lines, then drops lines at once", () => {
    const fd = scripted([0], { msPerSleep: 7 })
    const write = makeWriter(fd.system, 300)
    expect(write(2, "first\n")).toBe(false)
    // Measured on the clock, not counted in sleeps: 43 sleeps of 7 ms.
    expect(fd.elapsed()).toBe(301)
    const writesSoFar = fd.writes()
    expect([write(2, "second\n"), write(1, "answer\n")]).toEqual([false, false])
    expect(fd.elapsed()).toBe(301)
    expect(fd.writes()).toBe(writesSoFar + 2)
  })

  it("spends what is left of the budget on later lines once a pipe drains", () => {
    // 100 ms of waiting, then the reader takes a line, then the pipe stays full.
    const fd = scripted([...Array(100).fill(0), 100, 0])
    const write = makeWriter(fd.system, 300)
    expect(write(2, "first\n")).toBe(true)
    expect(write(2, "second\n")).toBe(false)
    expect(fd.elapsed()).toBe(300)
  })

  it("drops a line at once on any other failure", () => {
    const fd = scripted([0], { failWith: "EPIPE" })
    expect(makeWriter(fd.system, 300)(2, "line\n")).toBe(false)
    expect(fd.elapsed()).toBe(0)
    expect(fd.writes()).toBe(1)
  })

  it("ends a line given up halfway before the next one on that descriptor", () => {
    const fd = scripted([4, 0, 0, 100], { failWith: "ENOSPC" })
    const write = makeWriter(fd.system, 300)
    expect(write(2, "first line\n")).toBe(false)
    expect(write(2, "second\n")).toBe(false)
    expect(write(2, "third\n")).toBe(true)
    expect(fd.out.join("")).toBe("firs\nthird\n")
  })
})
