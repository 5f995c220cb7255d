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

/**
 * fd 5 holds the read end of a FIFO at $D/stuck whose buffer is already full
 * and which nobody reads until the script says so: a log reader that has
 * stopped (`2>&1 | sleep 100`). Commands open it anew (`2>$D/stuck`), so the
 * non-blocking mode Node gives their stderr is not the script's.
 */
const stuckPipe = String.raw`
P=$D/job.pid
await_file() { until [ -e "$1" ]; do sleep 0.01; done; }
mkfifo $D/stuck; exec 5<>$D/stuck
head -c 65536 /dev/zero >&5
`

describe("a stderr that nobody reads", () => {
  it("costs a stop a few hundred ms in all, not a second a line", async () => {
    const result = await runInPidNamespace(stuckPipe + String.raw`
      setsid bash -c 'echo $$ > $D/main; for i in $(seq 40); do sleep 1000 & done; trap "exit 0" TERM; wait' &
      await_file $D/main; M=$(cat $D/main)
      until [ $(pgrep -c -P $M sleep) = 40 ]; do sleep 0.01; done
      $SIPID claim --pid $M --pid-file $P 2>/dev/null
      start=$(date +%s%N)
      set +e; $SIPID kill --pid-file $P --tree --grace 5s --log-level debug 2>$D/stuck; echo "kill=$?"; set -e
      echo "ms=$(( ($(date +%s%N) - start) / 1000000 ))"
      echo "left=$(pgrep -c sleep || true)"
    `)
    expect(result.stdout).toContain("kill=0")
    expect(result.stdout).toContain("left=0")
    // About 85 lines: a second each would take well over a minute.
    expect(Number(/ms=(\d+)/.exec(result.stdout)?.[1])).toBeLessThan(20_000)
  }, 180_000)

  it("has the first line that gets through say how many were dropped before it", async () => {
    const result = await runInPidNamespace(stuckPipe + String.raw`
      bash -c 'echo $$ > $D/main; trap "touch $D/termed; sleep 2; exit 0" TERM; while :; do sleep 0.1; done' &
      await_file $D/main; M=$(cat $D/main)
      $SIPID claim --pid $M --pid-file $P 2>/dev/null
      $SIPID kill --pid-file $P 2>$D/stuck & K=$!
      # sipid logged "stopping" and "sent SIGTERM" into the full pipe; its next line comes when the process exits.
      await_file $D/termed; sleep 0.5
      head -c 65536 <&5 >/dev/null
      set +e; wait $K; echo "kill=$?"; set -e
      timeout 1 cat <&5 || true
    `)
    const lines = result.stdout.trim().split("\n")
    expect(lines[0]).toBe("kill=0")
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        /INFO  sipid kill \S+job\.pid: process \d+ exited after [\d.]+m?s \(waited up to 20s\) \(2 earlier log lines were dropped: stderr could not take them\)$/
      ),
      expect.stringMatching(/INFO  sipid kill \S+job\.pid: pidfile removed$/),
      expect.stringMatching(/INFO  sipid kill \S+job\.pid: process \d+ stopped after [\d.]+m?s$/)
    ])
  }, 120_000)
})

describe("every log line", () => {
  it("names the command and the pidfile the same way, once, and stays one line whatever the pidfile's name", async () => {
    const result = await runInPidNamespace(String.raw`
      P=$D/job.pid
      sleep 1000 & C=$!
      sleep 1000 & O=$!
      $SIPID claim --pid $C --pid-file $P
      $SIPID claim --pid $O --pid-file $P || true
      $SIPID kill --pid-file $P
      kill $O
      $SIPID kill --pid-file "$D/job
2026-01-01T00:00:00.000Z ERROR sipid kill: forged.pid"
    `)
    const lines = result.stderr.trim().split("\n")
    const prefix = String.raw`^\d{4}-\d\d-\d\dT[\d:.]+Z (INFO |ERROR) sipid (claim|kill) /\S+/job`
    expect(lines.slice(0, -1)).toEqual(lines.slice(0, -1).map(() => expect.stringMatching(new RegExp(`${prefix}\\.pid: (?!/)`))))
    expect(lines.filter((line) => /^\S+ ERROR/.test(line))).toEqual([expect.stringMatching(/sipid claim \S+job\.pid: already names live process/)])
    expect(lines.at(-1)).toMatch(new RegExp(`${prefix}\\\\n2026-01-01T00:00:00\\.000Z ERROR sipid kill: forged\\.pid: no pidfile; nothing to stop$`))
  }, 120_000)
})
