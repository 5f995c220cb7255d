/** Command-line mistakes @effect/cli alone would misreport, on the built CLI (no process is signalled). */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { runSipid } from "../support/cli.js"

const directory = mkdtempSync(join(tmpdir(), "sipid-usage-"))
const pidfile = join(directory, "job.pid")
afterAll(() => rmSync(directory, { recursive: true, force: true }))

describe("sipid command line", () => {
  it("names an option given twice instead of complaining about the next one", async () => {
    const result = await runSipid(["claim", "--pid", "5", "--pid", "6", "--pid-file", pidfile])
    expect(result.code).toBe(2)
    expect(result.stderr).toBe("sipid: --pid is given more than once; give it once; see sipid --help\n")
  })

  it("takes --log-level after the subcommand too, and applies it", async () => {
    const quiet = await runSipid(["kill", "--pid-file", pidfile, "--log-level", "error"])
    const quietToo = await runSipid(["kill", "--pid-file", pidfile, "--log-level=error"])
    const chatty = await runSipid(["kill", "--pid-file", pidfile, "--log-level", "debug"])
    expect([quiet, quietToo].map(({ code, stderr }) => ({ code, stderr }))).toEqual([{ code: 0, stderr: "" }, { code: 0, stderr: "" }])
    expect(chatty.code).toBe(0)
    expect(chatty.stderr).toContain("no pidfile; nothing to stop")
  })
})
