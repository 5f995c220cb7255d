// The unit tests alone, for mutation testing (npm run mutate): the CLI tests
// run the built bundle, which Stryker's mutants never reach.
import { defineConfig, mergeConfig } from "vitest/config"
import base from "./vitest.config.js"

export default mergeConfig(base, defineConfig({ test: { include: ["test/unit/**/*.test.ts"] } }))
