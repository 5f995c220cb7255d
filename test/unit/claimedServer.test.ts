/**
 * The README's examples/library/claimed-server.ts, run for real (bundled
 * with the sources as "sipid"), in a PID namespace: it claims its pidfile,
 * waits for its dependency, serves, refuses a second copy, and SIGTERM
 * leaves no pidfile and no record behind.
 */
import { build } from "esbuild"
import { mkdtempSync, rmSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, expect, it } from "vitest"
import { runInPidNamespace } from "../support/cli.js"

const repository = fileURLToPath(new URL("../..", import.meta.url))
const bundleDirectory = mkdtempSync(join(repository, "node_modules", ".sipid-example-"))
const bundle = join(bundleDirectory, "claimed-server.mjs")
afterAll(() => rmSync(bundleDirectory, { recursive: true, force: true }))

beforeAll(async () => {
  // Inside node_modules, so that effect and koffi resolve from the bundle as from an app.
  await build({
    entryPoints: [join(repository, "examples/library/claimed-server.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    alias: { sipid: join(repository, "src/index.ts"), "sipid/health": join(repository, "src/health/index.ts") },
    outfile: bundle,
    logLevel: "silent"
  })
})

it("claims its pidfile, waits for its dependency, serves, refuses a second copy, and releases the pidfile on SIGTERM", async () => {
  const result = await runInPidNamespace(String.raw`
    P=$D/run/app.pid
    port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
    DEP=$(port); APP=$(port)
    node $BUNDLE $P http://127.0.0.1:$DEP/ $APP > $D/app.log 2>&1 & A=$!
    until [ -s $P ]; do sleep 0.05; done
    echo "pidfile names the app: $([ "$(cat $P)" = $A ] && echo yes)"
    sleep 1; grep -q serving $D/app.log || echo "not serving while its dependency is down"
    python3 -m http.server $DEP --bind 127.0.0.1 --directory $D > /dev/null 2>&1 & S=$!
    until grep -q serving $D/app.log; do sleep 0.05; done
    echo "answers: $(python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$APP/').read().decode().strip())")"
    set +e
    node $BUNDLE $P http://127.0.0.1:$DEP/ $APP > $D/second.log 2>&1; echo "second copy exited $?"
    kill -TERM $A; wait $A; echo "app exited $?"
    kill $S
    [ -e $P ] || [ -e $P.identity ] || echo "pidfile and record gone"
    cat $D/app.log $D/second.log >&2
  `, { BUNDLE: bundle })
  expect(result.stdout, result.stderr).toContain("pidfile names the app: yes")
  expect(result.stdout).toContain("not serving while its dependency is down")
  expect(result.stdout).toContain("answers: ok")
  expect(result.stdout).toMatch(/second copy exited [1-9]/)
  expect(result.stderr).toContain("PidfileOwned")
  expect(result.stdout).toMatch(/app exited \d+/)
  expect(result.stdout).toContain("pidfile and record gone")
})
