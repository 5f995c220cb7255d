import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const source = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url))

// Builds the release tarballs, when stale, once before the tests that need them: a build takes
// minutes, more than a test's timeout. It runs only when one of those projects has tests queued.
const buildDist = "test/support/distBuild.ts"
const releaseTests = ["test/cli/dist*.test.ts", "test/cli/bosh-release.test.ts"]

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
        test: { name: "npm-bin", include: ["test/**/*.test.ts", "examples/**/*.test.ts"], exclude: releaseTests }
      },
      {
        // The tests of the release tarballs themselves, of the npm install and of the example release.
        extends: true,
        test: { name: "release", include: releaseTests, globalSetup: [buildDist] }
      },
      {
        // The CLI tests again, against the release tarball's executable (see test/support/cli.ts).
        extends: true,
        test: {
          name: "executable",
          include: ["test/cli/**/*.test.ts"],
          // native.test.ts takes the npm bin apart (the executable's own native code is tested in dist.test.ts);
          // library.test.ts tests the npm package, not a CLI.
          exclude: [...releaseTests, "test/cli/native.test.ts", "test/cli/library.test.ts"],
          env: { SIPID_CLI: "executable" },
          globalSetup: [buildDist]
        }
      }
    ]
  }
})
