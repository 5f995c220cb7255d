/**
 * The library examples in the docs are files in examples/library/, which
 * `npm run typecheck` compiles and `npm test` runs: each code block in
 * docs/library.md, docs/testing.md or docs/health-checks.md that starts with
 * a file's name must be that file, word for word.
 */
import { describe, expect, it } from "@effect/vitest"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = new URL("../../", import.meta.url)
const examples = ["docs/library.md", "docs/testing.md", "docs/health-checks.md"].flatMap((doc) =>
  [...readFileSync(new URL(doc, root), "utf8").matchAll(/^```ts\n(\/\/ (examples\/\S+)\n[\s\S]*?)^```$/gm)].map(([, block, path]) => ({ doc, block: block!, path: path! }))
)

describe("the docs' library examples", () => {
  it("include the library examples, the kill-timing test and the health gate", () => {
    expect(examples.map(({ path }) => path)).toEqual([
      "examples/library/claim-and-stop.ts",
      "examples/library/claimed-server.ts",
      "examples/library/kill-timing.test.ts",
      "examples/library/health-gate.ts"
    ])
  })

  it.each(examples)("$path, in $doc, is the file of that name", ({ block, path }) => {
    expect(block).toBe(readFileSync(new URL(path, root), "utf8"))
  })
})

const markdown = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", ...["docs", "docs/dev"].flatMap((dir) =>
  readdirSync(new URL(dir, root)).filter((name) => name.endsWith(".md")).map((name) => `${dir}/${name}`))]

describe("the docs' links", () => {
  it.each(markdown)("every relative link in %s names a file that exists", (doc) => {
    const text = readFileSync(new URL(doc, root), "utf8")
    const targets = [...text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map(([, target]) => target!).filter((target) => !/^[a-z]+:/.test(target))
    const missing = targets.filter((target) => !existsSync(join(dirname(fileURLToPath(new URL(doc, root))), target)))
    expect(missing).toEqual([])
  })
})
