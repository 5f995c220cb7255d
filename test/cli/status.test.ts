/** `sipid status` and its LSB exit codes, against real processes in their own PID namespace. */
import { expect, it } from "vitest"
import { runInPidNamespace } from "../support/cli.js"

it("reports each state with its LSB code on one stdout line", async () => {
  const result = await runInPidNamespace(String.raw`
    P=$D/job.pid
    set +e
    report() { out=$($SIPID status --pid-file $P 2>/dev/null); echo "$1=$? $out"; }
    report missing
    sleep 1000 & C=$!
    $SIPID claim --pid $C --pid-file $P 2>/dev/null
    report running
    kill $C; wait $C
    report exited
    printf 'garbage\n' > $P; report garbage
    : > $P; report empty
    rm $P; ln -s /etc/passwd $P; report symlink
  `)
  const lines = Object.fromEntries(result.stdout.trim().split("\n").map((line) => [line.split("=")[0], line.slice(line.indexOf("=") + 1)]))
  expect(lines["missing"]).toMatch(/^3 not running: no pidfile at /)
  expect(lines["running"]).toMatch(/^0 running: process \d+ /)
  expect(lines["exited"]).toMatch(/^1 not running: process \d+ has exited; stale pidfile /)
  expect(lines["garbage"]).toMatch(/^4 unknown: .*"garbage" is not a valid PID/)
  expect(lines["empty"]).toMatch(/^4 unknown: .* is empty/)
  expect(lines["symlink"]).toMatch(/^4 unknown: .*symbolic link/)
})
