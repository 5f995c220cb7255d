/**
 * The README's library examples, and those of docs/, are files in
 * examples/library/, which `npm run typecheck` compiles and `npm test` runs:
 * each code block that starts with a file's name must be that file, word for
 * word.
 */
import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"

const root = new URL("../../", import.meta.url)
const examplesOf = (document: string) =>
  [...readFileSync(new URL(document, root), "utf8").matchAll(/^```ts\n(\/\/ (examples\/\S+)\n[\s\S]*?)^```$/gm)].map(([, block, path]) => ({
    block: block!,
    path: path!
  }))
const examples = examplesOf("README.md")
const healthExamples = examplesOf("docs/health-checks.md")

describe("the README's examples", () => {
  it("include the library example and the kill-timing test", () => {
    expect(examples.map(({ path }) => path)).toEqual(["examples/library/claim-and-stop.ts", "examples/library/kill-timing.test.ts"])
  })

  it("and docs/health-checks.md the health gate", () => {
    expect(healthExamples.map(({ path }) => path)).toEqual(["examples/library/health-gate.ts"])
  })

  it.each([...examples, ...healthExamples])("$path is the file of that name", ({ block, path }) => {
    expect(block).toBe(readFileSync(new URL(path, root), "utf8"))
  })
})
