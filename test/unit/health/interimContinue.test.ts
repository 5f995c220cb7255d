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
})
