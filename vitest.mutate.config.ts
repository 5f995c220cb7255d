// The unit tests alone, for mutation testing (npm run mutate): the CLI tests
// run the built bundle, which Stryker's mutants never reach.
//
// SIPID_MUTATE_TESTS narrows them to the tests that can reach the files a run
// mutates (comma-separated globs, e.g. test/unit/health/**/*.test.ts): each
// static mutant (one in module-level code) runs every included test, and a
// mutant can only be killed by tests that import its file. Stryker's own
// --testFiles is no substitute: in 9.5.1 it activates static mutants only
// after the modules have loaded, so they all survive falsely.
import { defineConfig } from "vitest/config"
import base from "./vitest.config.js"

const include = process.env["SIPID_MUTATE_TESTS"]?.split(",") ?? ["test/unit/**/*.test.ts"]

// Not mergeConfig: it concatenates arrays, which put the CLI tests back in. Nor base's
// projects: each has an include of its own, which overrides this one, and the release
// ones first build the tarballs (a run then fails where bun is missing).
const { projects: _projects, ...test } = base.test ?? {}
export default defineConfig({ ...base, test: { ...test, include } })
