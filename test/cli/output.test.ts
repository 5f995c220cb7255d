/**
 * Output is best effort: stderr on a full disk, a pipe whose reader has
 * gone, or a closed or full stdout never changes what a command does or its
 * exit code. Real processes, so each script runs in its own PID namespace.
 */
import { describe, expect, it } from "vitest"
import { runInPidNamespace } from "../support/cli.js"

/**
 * `faulty FAULT COMMAND...` runs COMMAND with one broken output stream (and
 * stdout discarded when stderr is the broken one) and prints its exit code.
 */
const prelude = String.raw`
P=$D/job.pid
# fd 4: a pipe whose only reader has exited, so every write to it fails with EPIPE.
exec 4> >(exec true); wait $!
faulty() {
  local fault=$1 rc=0; shift
  case $fault in
    full-stderr) "$@" 2>/dev/full >/dev/null || rc=$? ;;
    dead-stderr) "$@" 2>&4 >/dev/null || rc=$? ;;
    closed-stdout) "$@" >&- || rc=$? ;;
    full-stdout) "$@" >/dev/full || rc=$? ;;
    dead-stdout) "$@" >&4 || rc=$? ;;
  esac
  echo $rc
}
pidfile() { [ -e $P ] && echo "names $(cat $P)" || echo "absent"; }
`

describe("a stream that cannot be written changes no outcome", () => {
  it.each(["full-stderr", "dead-stderr"])("%s: claim, status, kill and their refusals exit as with a healthy stderr", async (fault) => {
    const result = await runInPidNamespace(prelude + String.raw`
      F=${fault}
      sleep 1000 & C=$!
      echo "claim $(faulty $F $SIPID claim --pid $C --pid-file $P) $(pidfile | sed "s/$C/C/")"
      echo "status $(faulty $F $SIPID status --pid-file $P)"
      sleep 1000 & O=$!
      echo "claim-owned $(faulty $F $SIPID claim --pid $O --pid-file $P) $(pidfile | sed "s/$C/C/")"
      echo "kill $(faulty $F $SIPID kill --pid-file $P --grace 5s) $(pidfile)"
      wait $C || true
      echo "kill-none $(faulty $F $SIPID kill --pid-file $P)"
      echo "usage $(faulty $F $SIPID claim --pid nope --pid-file $P)"
      kill $O
      echo "left [$(ls -A $D | tr '\n' ' ')]"
    `)
    expect(result.stdout.trim().split("\n")).toEqual([
      "claim 0 names C",
      "status 0",
      "claim-owned 1 names C",
      "kill 0 absent",
      "kill-none 0",
      "usage 2",
      "left []"
    ])
  }, 120_000)

  it("closed, full or dead stdout: status still answers with its exit code, --help exits 0", async () => {
    const result = await runInPidNamespace(prelude + String.raw`
      sleep 1000 & C=$!
      $SIPID claim --pid $C --pid-file $P 2>/dev/null
      for F in closed-stdout full-stdout dead-stdout; do
        echo "$F $(faulty $F $SIPID status --pid-file $P) $(faulty $F $SIPID status --pid-file $D/none) $(faulty $F $SIPID --help)"
      done
      kill $C
    `)
    expect(result.stdout.trim().split("\n")).toEqual(["closed-stdout 0 3 0", "full-stdout 0 3 0", "dead-stdout 0 3 0"])
  }, 120_000)
})
