/** The manual (sipid(1) and docs/cli.md) is rendered from the CLI's spec; docs/cli.md must be the current rendering. */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { commands } from "../../src/cli/commands.js"
import { commandHelp } from "../../src/cli/help.js"
import { renderMan, renderMarkdown } from "../../src/cli/manual.js"

/** What a reader of the man page sees: troff's escapes undone. */
const plain = (man: string) => man.replace(/\\-/g, "-").replace(/\\e/g, "\\").replace(/\\&/g, "")

describe("the manual", () => {
  it("docs/cli.md is the rendering of today's spec (npm run docs writes it)", () => {
    expect(readFileSync(new URL("../../docs/cli.md", import.meta.url), "utf8")).toBe(renderMarkdown(commands))
  })

  it.each(commands.map((command) => [command.name, command] as const))("sipid(1) says what `sipid %s --help` says of every option and exit code", (_, command) => {
    const man = plain(renderMan(commands, "1.2.3"))
    const help = commandHelp(command).split("\n")
    const rows = (heading: string) => {
      const start = help.indexOf(heading) + 1
      // A row starts at column 2; its meaning may wrap onto lines indented further.
      return help.slice(start, help.indexOf("", start)).filter((line) => /^ {2}\S/.test(line)).map((line) => line.trim().split(/ {2,}/)[0]!)
    }
    // Options under "Options:" or, for a command that groups them, under each group's heading.
    const headings = help.filter((line) => /^\S.*:$/.test(line) && line !== "Exit codes:")
    const terms = [...headings.flatMap(rows), ...rows("Exit codes:")]
    expect(terms.length).toBeGreaterThan(3)
    for (const term of terms) expect(man).toContain(`.B ${term}\n`)
    expect(man).toMatch(/^\.TH SIPID 1 "" "sipid 1\.2\.3"/)
  })
})
