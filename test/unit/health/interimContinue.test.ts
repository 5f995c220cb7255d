import { describe, expect, it } from "@effect/vitest"
import { PassThrough } from "node:stream"
import { afterContinues, skipInterimContinue } from "../../../src/health/interimContinue.js"

const text = (buffer: Buffer | undefined) => buffer?.toString("latin1")

describe("afterContinues", () => {
  it.each([
    ["HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n"],
    ["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nok", "HTTP/1.1 200 OK\r\n\r\nok"],
    ["HTTP/1.0 100\r\nX-A: 1\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n"],
    // Not a 100: left for undici to judge.
    ["HTTP/1.1 1000 x\r\n\r\n", "HTTP/1.1 1000 x\r\n\r\n"],
    ["HTTP/1.1 101 Switching\r\n\r\n", "HTTP/1.1 101 Switching\r\n\r\n"],
    ["HTTP/x.1 100 x\r\n\r\n", "HTTP/x.1 100 x\r\n\r\n"],
    ["garbage", "garbage"],
    // A head too long to be one is handed on as it is.
    [`HTTP/1.1 100 ${"x".repeat(16 * 1024)}`, `HTTP/1.1 100 ${"x".repeat(16 * 1024)}`]
  ])("hands on %j as %j", (data, rest) => {
    expect(text(afterContinues(Buffer.from(data, "latin1")))).toBe(rest)
  })

  it.each(["", "HTTP/1", "HTTP/1.1 100", "HTTP/1.1 100 Continue\r\n", "HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 1"])(
    "waits for more after %j",
    (data) => {
      expect(afterContinues(Buffer.from(data, "latin1"))).toBeUndefined()
    }
  )
})

describe("skipInterimContinue", () => {
  it("reads past leading 100 heads that arrive in pieces, then reads as the socket would", () => {
    const socket = skipInterimContinue(new PassThrough())
    const reads: Array<string | null> = []
    const readAll = () => {
      for (let chunk = socket.read(); chunk !== null; chunk = socket.read()) reads.push(chunk.toString())
      reads.push(null)
    }
    socket.write("HTTP/1.1 100 Con")
    readAll()
    socket.write("tinue\r\n\r\nHTTP/1.1 20")
    readAll()
    socket.write("0 OK\r\n\r\n")
    readAll()
    socket.write("HTTP/1.1 100 Continue\r\n\r\n")
    readAll()
    // Handed on as soon as it cannot be a 100; a later 100 is the next response's business.
    expect(reads).toEqual([null, "HTTP/1.1 20", null, "0 OK\r\n\r\n", null, "HTTP/1.1 100 Continue\r\n\r\n", null])
  })

  it("keeps only the head in progress: a server that sends 100 heads without end costs each read that head, not all it sent", () => {
    const socket = skipInterimContinue(new PassThrough())
    const head = "HTTP/1.1 100 Continue\r\n\r\n"
    let copied = 0
    const concat = Buffer.concat
    Buffer.concat = (list: ReadonlyArray<Uint8Array>, length?: number) => {
      const joined = concat(list, length)
      copied += joined.length
      return joined
    }
    try {
      for (let i = 0; i < 2_000; i++) {
        socket.write(head)
        expect(socket.read()).toBe(null)
      }
      socket.write("HTTP/1.1 200 OK\r\n\r\n")
      expect(text(socket.read() ?? undefined)).toBe("HTTP/1.1 200 OK\r\n\r\n")
    } finally {
      Buffer.concat = concat
    }
    // Each read copies its own chunk and what was left of the one before: linear, not quadratic (2,000 heads: 2 MB).
    expect(copied).toBeLessThan(4 * 2_001 * head.length)
  })
})
