// The unit tests alone, for mutation testing (npm run mutate): the CLI tests
// run the built bundle, which Stryker's mutants never reach.
//
// Not `isolate: false`, although reusing one worker would save reloading
// effect for every mutant: vitest then keeps the project's modules cached
// between runs, so a mutant in module-level code (a regex, a Set of codes)
// is never evaluated and survives falsely, and a run that fails under
// Stryker's bail hangs until Stryker's time-out. Narrow a run with
// --mutate and --testFiles instead (see "Testing" in the README).
import { defineConfig, mergeConfig } from "vitest/config"
import base from "./vitest.config.js"

export default mergeConfig(base, defineConfig({ test: { include: ["test/unit/**/*.test.ts"] } }))
