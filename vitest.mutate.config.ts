// The unit tests alone, for mutation testing (npm run mutate): the CLI tests
// run the built bundle, which Stryker's mutants never reach. Not mergeConfig:
// it concatenates arrays, which would keep the base config's include.
import { defineConfig } from "vitest/config"
import base from "./vitest.config.js"

export default defineConfig({ ...base, test: { ...base.test, include: ["test/unit/**/*.test.ts"] } })
