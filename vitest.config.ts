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
    // CLI tests start real processes; two cores, so keep parallelism modest.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: "npm-bin", include: ["test/**/*.test.ts", "examples/**/*.test.ts"] }
      },
      {
        // The CLI tests again, against the release tarball's executable (see test/support/cli.ts);
        // the tests of the tarball itself, of the npm install and of the example release run once, above.
        extends: true,
        test: {
          name: "executable",
          include: ["test/cli/**/*.test.ts"],
          exclude: ["test/cli/dist*.test.ts", "test/cli/native.test.ts", "test/cli/bosh-release.test.ts"],
          env: { SIPID_CLI: "executable" }
        }
      }
    ]
  }
})
