/** The text and JSON layouts, with a writer that can refuse lines. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { type LogFormat, makeLogger, oneLine, withLogContext } from "../../../src/log/logger.js"

/** Logs `messages` through sipid's logger; `refuse` lists which writes (0-based) fail. */
const logged = (format: LogFormat, context: { command: string; pidfile?: string }, messages: ReadonlyArray<string>, refuse: ReadonlyArray<number> = []) => {
  let attempts = 0
  const lines: Array<string> = []
  const writer = (line: string) => {
    if (refuse.includes(attempts++)) return false
    lines.push(line)
    return true
  }
  Effect.runSync(
    Effect.forEach(messages, (message) => Effect.logInfo(message)).pipe(
      withLogContext(context),
      Effect.provide(Logger.replace(Logger.defaultLogger, makeLogger(format, writer)))
    )
  )
  // Timestamps vary; the rest is the layout.
  return lines.map((line) => line.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/, "T"))
}

describe("makeLogger", () => {
  it("names the command and the pidfile in every text line, once", () => {
    expect(logged("text", { command: "kill", pidfile: "/run/web.pid" }, [
      "pidfile removed",
      "/run/web.pid: locked by another process",
      "ignoring identity record /run/web.pid.identity: bad",
      "/run/other.pid: x"
    ])).toEqual([
      "T INFO  sipid kill /run/web.pid: pidfile removed\n",
      "T INFO  sipid kill /run/web.pid: locked by another process\n",
      "T INFO  sipid kill /run/web.pid: ignoring identity record /run/web.pid.identity: bad\n",
      "T INFO  sipid kill /run/web.pid: /run/other.pid: x\n"
    ])
    expect(logged("text", { command: "kill" }, ["--grace: bad"])).toEqual(["T INFO  sipid kill: --grace: bad\n"])
  })

  it("keeps the pidfile in its own field of a JSON line, not twice in the message", () => {
    expect(logged("json", { command: "claim", pidfile: "/run/web.pid" }, ["/run/web.pid: locked"]).map((line) => JSON.parse(line))).toEqual([
      { timestamp: "T", level: "info", message: "locked", command: "claim", pidfile: "/run/web.pid" }
    ])
  })

  it.each(["text", "json"] as const)("writes one %s line per event, whatever the message or the pidfile's name holds", (format) => {
    const pidfile = "/run/web\n2026-01-01T00:00:00.000Z ERROR forged.pid"
    const lines = logged(format, { command: "kill", pidfile }, ["TLS failed: ssl3_record.c:350:\n", `${pidfile}: gone\r\u2028\u001b[31m\u202eevil\u2066`])
    expect(lines).toHaveLength(2)
    for (const line of lines) expect(line.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202e\u2066]/)
    // What a reader sees: the text line, or the JSON line's fields decoded.
    const seen = lines.map((line) => format === "text" ? line : Object.values(JSON.parse(line)).join(" "))
    expect(seen[0]).toContain("web\\n2026-01-01T00:00:00.000Z ERROR forged.pid")
    expect(seen[0]).toContain("ssl3_record.c:350:\\n")
    expect(seen[1]).toContain("gone\\r\\u2028\\u001b[31m\\u202eevil\\u2066")
  })

  it("counts the lines it could not write in the next one it writes", () => {
    expect(logged("text", { command: "kill" }, ["one", "two", "three", "four", "five"], [0, 1, 3])).toEqual([
      "T INFO  sipid kill: three (2 earlier log lines were dropped: stderr could not take them)\n",
      "T INFO  sipid kill: five (1 earlier log line was dropped: stderr could not take them)\n"
    ])
  })
})

describe("oneLine", () => {
  it("escapes control characters and line separators, and nothing else", () => {
    expect(oneLine("a\tb\nc\rd\u0000e\u007f\u0085\u2029 caf\u00e9 \\n")).toBe("a\\tb\\nc\\rd\\u0000e\\u007f\\u0085\\u2029 caf\u00e9 \\n")
  })
})
