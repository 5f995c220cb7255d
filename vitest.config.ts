import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const source = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url))

export default defineConfig({
  // The examples import "sipid" as an app would; here that is the source.
  resolve: {
    alias: [
      { find: /^sipid$/, replacement: source("index.ts") },
      { find: /^sipid\/testing$/, replacement: source("testing.ts") }
    ]
  },
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    // CLI tests start real processes; two cores, so keep parallelism modest.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
