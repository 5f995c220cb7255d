/**
 * `sipid kill --tree` on a stale pidfile, built, against real processes in
 * a PID namespace of their own: the job's main process was SIGKILLed, its
 * children were re-parented and live on in its session.
 */
import { describe, expect, it } from "vitest"
import { runInPidNamespace } from "../support/cli.js"

/** A setsid job (a shell and two sleeps), claimed; then the shell is SIGKILLed and the sleeps are orphans. */
const orphans = String.raw`
P=$D/job.pid
sleeps() { local n=0 line stat; for stat in /proc/[0-9]*/stat; do read -r line < $stat 2>/dev/null || continue
  [[ "$line" == *"(sleep) "[^Z]* ]] && n=$((n + 1)); done; echo $n; }
setsid bash -c 'echo $$ > $D/main; sleep 1000 & sleep 1000 & wait' &
until [ -s $D/main ] && [ $(sleeps) = 2 ]; do sleep 0.01; done
M=$(cat $D/main)
$SIPID claim --pid $M --pid-file $P 2>/dev/null
kill -KILL $M; while [ -e /proc/$M ]; do sleep 0.01; done
`

describe("sipid kill --tree on a stale pidfile (real processes, own PID namespace)", () => {
  it("stops the orphans left in the dead main process's session, then removes the pidfile", async () => {
    const result = await runInPidNamespace(orphans + String.raw`
      $SIPID status --pid-file $P --tree || true
      set +e; $SIPID kill --pid-file $P --tree --tree-grace 500ms; echo "kill=$?"; set -e
      echo "sleeps left: $(sleeps)"; [ -e $P ] || echo "pidfile gone"
    `)
    // status --tree lists what kill --tree then stops.
    expect(result.stdout.match(/^ {2}\d+ sleep \(in session \d+\)$/gm)).toHaveLength(2)
    expect(result.stdout).toContain("kill=0")
    expect(result.stdout).toContain("sleeps left: 0")
    expect(result.stdout).toContain("pidfile gone")
    expect(result.stderr).toMatch(/pidfile is stale: process \d+ has exited; stopping what is left of its job/)
    expect(result.stderr).toMatch(/found 2 process\(es\) in process \d+'s job/)
  })

  it("leaves alone a stranger's worker in a session of the dead main process's PID, which the stranger took (ns_last_pid) once the job had ended", async () => {
    const result = await runInPidNamespace(String.raw`
      echo 1000 > /proc/sys/kernel/pid_max
      P=$D/job.pid
      setsid bash -c 'echo $$ > $D/main; sleep 1000 & echo $! > $D/worker; wait' &
      until [ -s $D/main ] && [ -s $D/worker ]; do sleep 0.01; done
      M=$(cat $D/main); W=$(cat $D/worker)
      $SIPID claim --pid $M --pid-file $P 2>/dev/null
      # The whole job ends, so its session empties and the kernel may hand out its PID again.
      kill -KILL $W $M; while [ -e /proc/$M ] || [ -e /proc/$W ]; do sleep 0.01; done
      echo $((M - 1)) > /proc/sys/kernel/ns_last_pid
      setsid bash -c 'echo $$ > $D/stranger; sleep 1000 & echo $! > $D/theirs' &
      until [ -s $D/stranger ] && [ -s $D/theirs ]; do sleep 0.01; done
      S=$(cat $D/stranger); T=$(cat $D/theirs)
      [ "$S" = "$M" ] && echo "stranger took PID $M"
      while [ -e /proc/$S ]; do sleep 0.01; done
      $SIPID status --pid-file $P --tree || true
      set +e; $SIPID kill --pid-file $P --tree --tree-grace 500ms; echo "kill=$?"; set -e
      kill -0 $T && echo "their worker alive"
      kill -9 $T
    `)
    expect(result.stdout, result.stderr).toMatch(/stranger took PID \d+/)
    expect(result.stdout).toContain("kill=0")
    expect(result.stdout).toContain("their worker alive")
    // status --tree lists none of it either.
    expect(result.stdout).not.toMatch(/^ {2}\d+ sleep/m)
    expect(result.stderr).toMatch(/WARN +sipid kill \S+: process \d+ \(sleep\) is in session \d+ but not in autogroup \d+, which process \d+'s setsid made \(it is in \d+\): a session that a stranger made after taking over PID \d+; left alone/)
  })

  it("without --tree the orphans are left alone, as the README says", async () => {
    const result = await runInPidNamespace(orphans + String.raw`
      $SIPID kill --pid-file $P; echo "kill=$?"; echo "sleeps left: $(sleeps)"
    `)
    expect(result.stdout).toContain("kill=0")
    expect(result.stdout).toContain("sleeps left: 2")
  })
})
