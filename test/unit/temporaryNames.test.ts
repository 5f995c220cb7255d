/**
 * Which names the leftover clean-up may ever remove: only a pidfile's own
 * temporaries, never the pidfile, its record, or another file's temporary.
 */
import { describe, expect, it } from "vitest"
import { isTemporaryOf, sameNode, temporaryIdLength, temporaryName } from "../../src/pidfile/PidfileFiles.js"

const id = "0123456789ab"

describe("temporary names", () => {
  it("a temporary made by temporaryName is recognised as the target's", () => {
    expect(id).toHaveLength(temporaryIdLength)
    expect(temporaryName("job.pid", id)).toBe(".job.pid.0123456789ab.tmp")
    expect(isTemporaryOf("job.pid", temporaryName("job.pid", id))).toBe(true)
  })

  it.each([
    ["the pidfile itself", "job.pid"],
    ["its identity record", "job.pid.identity"],
    ["the record's temporary", temporaryName("job.pid.identity", id)],
    ["another pidfile's temporary", temporaryName("web.pid", id)],
    ["a name without the leading dot", "job.pid.0123456789ab.tmp"],
    ["another suffix", ".job.pid.0123456789ab.bak"],
    ["an id one digit short", temporaryName("job.pid", id.slice(1))],
    ["an id one digit long", temporaryName("job.pid", `${id}c`)],
    ["an id that is not lower-case hex", temporaryName("job.pid", "0123456789AB")],
    ["an id with a dot in it", temporaryName("job.pid", "0123456.89ab")]
  ])("never %s", (_, name) => {
    expect(isTemporaryOf("job.pid", name)).toBe(false)
  })
})

describe("sameNode", () => {
  it("needs both the device and the inode to match", () => {
    expect(sameNode({ dev: 1, ino: 2 }, { dev: 1, ino: 2 })).toBe(true)
    expect(sameNode({ dev: 1, ino: 2 }, { dev: 3, ino: 2 })).toBe(false)
    expect(sameNode({ dev: 1, ino: 2 }, { dev: 1, ino: 3 })).toBe(false)
  })
})
