/**
 * The library's public API as reviewed (api/sipid.api.md) against what the
 * entry points export now: a new, changed or vanished export fails here
 * until `npm run api` writes the report anew and the change is reviewed;
 * an export without its `@since` and `@category` tags fails too.
 */
import { readFileSync } from "node:fs"
import { expect, it } from "vitest"
// @ts-expect-error: a plain script, without types
import { apiReport } from "../../scripts/api-report.mjs"

it("api/sipid.api.md is what the entry points export (npm run api writes it), each with its @since and @category", () => {
  const { report, untagged } = apiReport()
  expect(untagged).toEqual([])
  expect(report).toBe(readFileSync(new URL("../../api/sipid.api.md", import.meta.url), "utf8"))
}, 120_000)
