/**
 * scripts/mutation-scores.mjs: the scores it prints are Stryker's (ignored
 * mutants and errors count in neither), and a later report's file replaces an
 * earlier one's.
 */
import { describe, expect, it } from "vitest"
// @ts-expect-error: a plain script, without types
import { mergeFiles, scoreTables, summarise } from "../../scripts/mutation-scores.mjs"

const mutants = (...statuses: Array<string>) => statuses.map((status, id) => ({ id: String(id), status }))

describe("mutation scores", () => {
  it("count killed and timed out of the valid mutants, and of the covered ones", () => {
    const summary = summarise(mutants("Killed", "Killed", "Timeout", "Survived", "NoCoverage", "Ignored", "RuntimeError", "CompileError"))
    expect(summary).toEqual({
      mutants: 8,
      killed: 2,
      timeout: 1,
      survived: 1,
      noCoverage: 1,
      ignored: 1,
      errors: 2,
      score: 60,
      scoreOfCovered: 75
    })
  })

  it("have no score for a file whose mutants are all ignored", () => {
    expect(summarise(mutants("Ignored")).score).toBeNaN()
  })

  it("take a file from the latest report that has it", () => {
    const first = { files: { "src/a.ts": { mutants: mutants("Survived") }, "src/b.ts": { mutants: mutants("Killed") } } }
    const second = { files: { "src/a.ts": { mutants: mutants("Killed") } } }
    expect(mergeFiles([first, second])).toEqual({ "src/a.ts": second.files["src/a.ts"], "src/b.ts": first.files["src/b.ts"] })
  })

  it("print a table per folder, ending with its total", () => {
    const tables: string = scoreTables({
      "src/x/b.ts": { mutants: mutants("Killed", "Survived") },
      "src/x/a.ts": { mutants: mutants("Killed", "Ignored") },
      "src/y/c.ts": { mutants: mutants("Ignored") }
    })
    expect(tables.split("\n").filter((line) => line.startsWith("###") || line.startsWith("| `") || line.startsWith("| **"))).toEqual([
      "### src/x",
      "| `a.ts` | 2 | 1 | 0 | 0 | 0 | 1 | 0 | 100.00 % | 100.00 % |",
      "| `b.ts` | 2 | 1 | 0 | 1 | 0 | 0 | 0 | 50.00 % | 50.00 % |",
      "| **total** | 4 | 2 | 0 | 1 | 0 | 1 | 0 | 66.67 % | 66.67 % |",
      "### src/y",
      "| `c.ts` | 1 | 0 | 0 | 0 | 0 | 1 | 0 | n/a | n/a |",
      "| **total** | 1 | 0 | 0 | 0 | 0 | 1 | 0 | n/a | n/a |"
    ])
  })
})
