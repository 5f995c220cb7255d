/**
 * The README's library examples are files in examples/library/, which
 * `npm run typecheck` compiles and `npm test` runs: each README code block
 * that starts with a file's name must be that file, word for word.
 */
import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"

const root = new URL("../../", import.meta.url)
const readme = readFileSync(new URL("README.md", root), "utf8")
const examples = [...readme.matchAll(/^```ts\n(\/\/ (examples\/\S+)\n[\s\S]*?)^```$/gm)].map(([, block, path]) => ({ block: block!, path: path! }))

describe("the README's examples", () => {
  it("include the library examples and the kill-timing test", () => {
    expect(examples.map(({ path }) => path)).toEqual([
      "examples/library/claim-and-stop.ts",
      "examples/library/claimed-server.ts",
      "examples/library/kill-timing.test.ts"
    ])
  })

  it.each(examples)("$path is the file of that name", ({ block, path }) => {
    expect(block).toBe(readFileSync(new URL(path, root), "utf8"))
  })
})
