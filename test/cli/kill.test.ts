/**
 * The built CLI against real processes. Every script runs in its own PID
 * namespace: whatever a bug would signal (-1, 0, a process group), it can
 * only reach the script's own processes.
 */
import { describe, expect, it } from "vitest"
import { runInPidNamespace, strace } from "../support/cli.js"

/** $P the pidfile in the script's directory $D, and helpers shared by the scripts. */
const prelude = String.raw`
P=$D/job.pid
await_file() { until [ -e "$1" ]; do sleep 0.01; done; }
# A Python process that writes $D/ready once its signal handling is set up.
py() { python3 -c "import os, signal, sys, time
$1
open('$D/ready', 'w').close()
time.sleep(1000)" & }
`

const ns = (script: string) => runInPidNamespace(prelude + script)

describe("sipid kill (real processes, own PID namespace)", () => {
  it("stops a process that exits on SIGTERM and removes the pidfile and its record", async () => {
    const result = await ns(String.raw`
      sleep 1000 & C=$!
      $SIPID claim --pid $C --pid-file $P 2>/dev/null
      $SIPID kill --pid-file $P --grace 5s
      echo "kill=$?"
      [ -e $P ] || echo "pidfile gone"; [ -e $P.identity ] || echo "record gone"
      wait $C || echo "child status $?"
    `)
    expect(result.stdout).toContain("kill=0")
    expect(result.stdout).toContain("pidfile gone")
    expect(result.stdout).toContain("record gone")
    expect(result.stdout).toContain("child status 143") // 128 + SIGTERM
    expect(result.stderr).toContain("sent SIGTERM")
    expect(result.stderr).not.toContain("SIGKILL")
  })

  it("kills a process that ignores SIGTERM with SIGKILL after the grace period", async () => {
    const result = await ns(String.raw`
      py "signal.signal(signal.SIGTERM, signal.SIG_IGN)"; C=$!
      await_file $D/ready
      $SIPID claim --pid $C --pid-file $P 2>/dev/null
      $SIPID kill --pid-file $P --grace 300ms
      echo "kill=$?"
      [ -e $P ] || echo "pidfile gone"
      wait $C || echo "child status $?"
    `)
    expect(result.stdout).toContain("kill=0")
    expect(result.stdout).toContain("pidfile gone")
    expect(result.stdout).toContain("child status 137") // 128 + SIGKILL
    expect(result.stderr).toMatch(/sent SIGTERM[\s\S]*still running after [\d.]+m?s[\s\S]*sent SIGKILL/)
  })

  it("--show-stacks: a Python process prints its stack on SIGQUIT", async () => {
    const result = await ns(String.raw`
      py "import faulthandler
signal.signal(signal.SIGTERM, signal.SIG_IGN)
faulthandler.register(signal.SIGQUIT)" 2>$D/stacks; C=$!
      await_file $D/ready
      $SIPID claim --pid $C --pid-file $P 2>/dev/null
      $SIPID kill --pid-file $P --grace 200ms --show-stacks
      echo "kill=$?"
      wait $C || echo "child status $?"
      echo "--- stacks"; cat $D/stacks
    `)
    expect(result.stdout).toContain("kill=0")
    expect(result.stdout).toContain("child status 137") // faulthandler dumps and carries on, so SIGKILL 2s later
    expect(result.stdout).toMatch(/--- stacks\n[\s\S]*(Current thread|Stack \(most recent call first\))[\s\S]*File "<string>"/)
    expect(result.stderr).toMatch(/sent SIGTERM[\s\S]*sent SIGQUIT[\s\S]*sent SIGKILL/)
  })

  it("treats a zombie (a parent that never reaps) as gone: no signal, no grace period", async () => {
    const result = await ns(String.raw`
      python3 -c "import os, time
child = os.fork()
if child == 0:
    while not os.path.exists('$D/go'): time.sleep(0.01)
    os._exit(0)
print(child, flush=True)
time.sleep(1000)" > $D/child &
      await_file $D/child; until [ -s $D/child ]; do sleep 0.01; done; Z=$(cat $D/child)
      $SIPID claim --pid $Z --pid-file $P 2>/dev/null
      touch $D/go
      until [ "$(awk '{print $3}' /proc/$Z/stat)" = Z ]; do sleep 0.01; done
      set +e
      $SIPID status --pid-file $P; echo "status=$?"
      $SIPID kill --pid-file $P; echo "kill=$?"
      [ -e $P ] || echo "pidfile gone"
    `)
    expect(result.stdout).toContain("status=1")
    expect(result.stdout).toContain("kill=0")
    expect(result.stdout).toContain("pidfile gone")
    expect(result.stderr).toContain("is a zombie")
    expect(result.stderr).not.toContain("sent SIG")
  })

  it("never signals a process that reused the claimed PID, and removes the stale pidfile", async () => {
    const result = await ns(String.raw`
      sleep 1000 & A=$!
      $SIPID claim --pid $A --pid-file $P 2>/dev/null
      kill -9 $A; wait $A || true
      echo $((A - 1)) > /proc/sys/kernel/ns_last_pid
      sleep 1000 & B=$!
      [ "$A" = "$B" ] && echo "PID reused"
      set +e
      $SIPID status --pid-file $P; echo "status=$?"
      $SIPID kill --pid-file $P; echo "kill=$?"
      kill -0 $B && echo "newcomer alive"
      [ -e $P ] || echo "pidfile gone"; [ -e $P.identity ] || echo "record gone"
    `)
    expect(result.stdout).toContain("PID reused")
    expect(result.stdout).toContain("status=1")
    expect(result.stdout).toContain("kill=0")
    expect(result.stdout).toContain("newcomer alive")
    expect(result.stdout).toContain("pidfile gone")
    expect(result.stdout).toContain("record gone")
    expect(result.stderr).toContain("now belongs to another process")
    expect(result.stderr).not.toContain("sent SIG")
  })

  it("refuses hostile pidfile contents with exit 4, leaving them as they are; a canary survives", async () => {
    const result = await ns(String.raw`
      sleep 1000 & CANARY=$!
      set +e
      for content in "-1" "0" "1" " -5" "1 2" "garbage" "" "99999999999" "-$CANARY" "$CANARY $CANARY" "0$CANARY"; do
        printf '%s\n' "$content" > $P; cp $P $D/before
        $SIPID kill --pid-file $P 2>>$D/log; rc=$?
        cmp -s $P $D/before && same=same || same=changed
        echo "[$content] kill=$rc $same"
      done
      kill -0 $CANARY && echo "canary alive"
      kill -0 1 && echo "init alive"
    `)
    const lines = result.stdout.trim().split("\n")
    expect(lines.filter((line) => line.startsWith("["))).toHaveLength(11)
    for (const line of lines.filter((line) => line.startsWith("["))) expect(line).toMatch(/kill=4 same$/)
    expect(result.stdout).toContain("canary alive")
    expect(result.stdout).toContain("init alive")
  })

  it("refuses a pidfile owned by nobody that names root's process, and a world-writable one", async () => {
    const result = await ns(String.raw`
      sleep 1000 & C=$!
      set +e
      printf '%s\n' $C > $P; chown nobody $P
      $SIPID kill --pid-file $P; echo "foreign=$?"
      chown root $P; chmod 666 $P
      $SIPID kill --pid-file $P; echo "world-writable=$?"
      kill -0 $C && echo "process alive"
      [ -e $P ] && echo "pidfile kept"
    `)
    expect(result.stdout).toContain("foreign=4")
    expect(result.stdout).toContain("world-writable=4")
    expect(result.stdout).toContain("process alive")
    expect(result.stdout).toContain("pidfile kept")
    expect(result.stderr).toContain("is owned by uid 65534, which could not signal the process it names")
    expect(result.stderr).toContain("is world-writable")
  })

  it("refuses a pidfile owned by nobody that names a process with real and saved uid 0, effective uid nobody", async () => {
    const result = await ns(String.raw`
      python3 -c "import os, time
os.setresuid(0, 65534, 0)
time.sleep(1000)" & C=$!
      until grep -qP '^Uid:\t0\t65534\t0\t' /proc/$C/status; do sleep 0.01; done
      printf '%s\n' $C > $P; chown nobody $P
      set +e
      $SIPID kill --pid-file $P; echo "kill=$?"
      kill -0 $C && echo "process alive"
      [ -e $P ] && echo "pidfile kept"
    `)
    expect(result.stdout).toContain("kill=4")
    expect(result.stdout).toContain("process alive")
    expect(result.stdout).toContain("pidfile kept")
    expect(result.stderr).toMatch(/is owned by uid 65534, which could not signal the process it names, \d+ \(real uid 0, saved uid 0\)/)
  })

  it("a thread's ID: claim refuses it naming the process (exit 2); kill and status refuse a pidfile naming it (exit 4)", async () => {
    const result = await ns(String.raw`
      py "import threading
threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()"; C=$!
      await_file $D/ready
      T=$(ls /proc/$C/task | grep -vx $C | head -n 1)
      echo "process=$C thread=$T"
      set +e
      $SIPID claim --pid $T --pid-file $P; echo "claim=$?"
      [ -e $P ] || echo "nothing written"
      printf '%s\n' $T > $P; cp $P $D/before
      $SIPID kill --pid-file $P; echo "kill=$?"
      $SIPID status --pid-file $P; echo "status=$?"
      cmp -s $P $D/before && echo "pidfile untouched"
      kill -0 $C && echo "process alive"
    `)
    const [, process, thread] = /process=(\d+) thread=(\d+)/.exec(result.stdout) ?? []
    expect(thread).toBeDefined()
    expect(result.stdout).toContain("claim=2")
    expect(result.stderr).toContain(`PID ${thread} is a thread of process ${process}; pass ${process}`)
    expect(result.stdout).toContain("nothing written")
    expect(result.stdout).toContain("kill=4")
    expect(result.stdout).toMatch(new RegExp(`unknown: .*names ${thread}, a thread of process ${process}, not a process`))
    expect(result.stdout).toContain("status=4")
    expect(result.stdout).toContain("pidfile untouched")
    expect(result.stdout).toContain("process alive")
    expect(result.stderr).not.toContain("sent SIG")
    expect(result.stderr).not.toContain("pidfd_open")
  })

  it("a pidfile owned by nobody may name nobody's process", async () => {
    const result = await ns(String.raw`
      setpriv --reuid=nobody --regid=nogroup --clear-groups sleep 1000 & C=$!
      until [ "$(stat -c %u /proc/$C)" = 65534 ]; do sleep 0.01; done
      printf '%s\n' $C > $P; chown nobody $P
      $SIPID kill --pid-file $P; echo "kill=$?"
    `)
    expect(result.stdout).toContain("kill=0")
  })

  it("succeeds when there is no pidfile", async () => {
    const result = await ns(String.raw`$SIPID kill --pid-file $P; echo "kill=$?"`)
    expect(result.stdout).toContain("kill=0")
    expect(result.stderr).toContain("no pidfile; nothing to stop")
  })

  it("holds the lock throughout: a claim during a kill fails with exit 3", async () => {
    const result = await ns(String.raw`
      py "signal.signal(signal.SIGTERM, signal.SIG_IGN)"; C=$!
      await_file $D/ready
      sleep 1000 & OTHER=$!
      $SIPID claim --pid $C --pid-file $P 2>/dev/null
      # A grace no loaded machine runs out of; the script ends the process itself.
      $SIPID kill --pid-file $P --grace 60s 2>$D/kill.log & K=$!
      until grep -q "sent SIGTERM" $D/kill.log; do sleep 0.01; done
      set +e
      $SIPID claim --pid $OTHER --pid-file $P; echo "claim=$?"
      $SIPID status --pid-file $P; echo "status=$?"
      kill -KILL $C
      wait $K; echo "kill=$?"
    `)
    expect(result.stdout).toContain("claim=3")
    expect(result.stdout).toContain("status=0") // status takes no lock
    expect(result.stdout).toContain("kill=0")
  })

  it("keeps the pidfile and exits 1 when the process survives the whole schedule", async () => {
    // A stopped (SIGSTOP) process still dies of SIGKILL, so survival needs a
    // schedule without KILL: TERM is ignored.
    const result = await ns(String.raw`
      py "signal.signal(signal.SIGTERM, signal.SIG_IGN)"; C=$!
      await_file $D/ready
      $SIPID claim --pid $C --pid-file $P 2>/dev/null
      set +e
      $SIPID kill --pid-file $P --retry TERM/1; echo "kill=$?"
      [ -e $P ] && echo "pidfile kept"
      kill -0 $C && echo "process alive"
    `)
    expect(result.stdout).toContain("kill=1")
    expect(result.stdout).toContain("pidfile kept")
    expect(result.stdout).toContain("process alive")
    expect(result.stderr).toMatch(/process \d+ is still alive after [\d.]+s; the schedule sent no SIGKILL; pidfile kept; add KILL\/N to --retry to force it$/m)
    expect(result.stderr).not.toContain("D state")
  })

  it.each([["SIGTERM", 143], ["SIGINT", 130]])("%s to sipid kill (monit's stop timeout) is logged, exits %i, keeps the pidfile and releases the lock", async (signal, code) => {
    const result = await ns(String.raw`
      py "signal.signal(signal.SIGTERM, signal.SIG_IGN)"; C=$!
      await_file $D/ready
      $SIPID claim --pid $C --pid-file $P 2>/dev/null
      $SIPID kill --pid-file $P --grace 30s 2>$D/log & K=$!
      until grep -q "sent SIGTERM" $D/log; do sleep 0.01; done
      kill -${signal} $K
      wait $K && echo "kill=0" || echo "kill=$?"
      cat $D/log >&2; rm $D/log $D/ready
      echo "left [$(ls -A $D | tr '\n' ' ')]"
      kill -0 $C && echo "process alive"
      # No lock outlives sipid: the next stop goes ahead at once.
      $SIPID kill --pid-file $P --grace 100ms 2>/dev/null && echo "next kill=0"
      [ -e $P ] || echo "pidfile gone"
    `)
    expect(result.stdout.trim().split("\n")).toEqual([`kill=${code}`, "left [job.pid job.pid.identity ]", "process alive", "next kill=0", "pidfile gone"])
    expect(result.stderr).toMatch(
      new RegExp(`sent SIGTERM to process (\\d+)\n.*received ${signal}: stopping early \\(exit ${code}\\)\n.*interrupted while stopping process \\1, which had not exited; pidfile kept\n`)
    )
  })

  it.skipIf(strace === undefined).each(["EPERM", "EMFILE"])(
    "pidfd_open refused with %s (a seccomp filter, no descriptors left): kill(2) stops the job, exit 0, and says which (install strace to run this)",
    async (errno) => {
      const result = await ns(String.raw`
        py "signal.signal(signal.SIGTERM, signal.SIG_IGN)"; job=$!
        await_file $D/ready
        $SIPID claim --pid $job --pid-file $P 2>/dev/null
        code=0; strace -f -qq -o /dev/null -e trace=pidfd_open -e inject=pidfd_open:error=${errno} $SIPID kill --pid-file $P --grace 1s || code=$?
        echo "kill=$code"
        if kill -0 $job 2>/dev/null; then echo "job alive"; fi
        if [ -e $P ]; then echo "pidfile left"; fi
      `)
      expect(result.stdout.trim().split("\n")).toEqual(["kill=0"])
      expect(result.stderr).toContain(`pidfd_open refused (${errno}): signalling through kill(2)`)
      expect(result.stderr).toMatch(/sent SIGKILL to process \d+/)
    }
  )

  it("usage errors: a bad --retry, or --retry with --grace or --show-stacks, exit 2", async () => {
    const result = await ns(String.raw`
      set +e
      $SIPID kill --pid-file $P --retry TERM/x; echo "bad=$?"
      $SIPID kill --pid-file $P --retry 5 --grace 1s; echo "grace=$?"
      $SIPID kill --pid-file $P --retry 5 --show-stacks; echo "stacks=$?"
      $SIPID kill --pid-file $P --grace 5; echo "unitless=$?"
    `)
    expect(result.stdout).toContain("bad=2")
    expect(result.stdout).toContain("grace=2")
    expect(result.stdout).toContain("stacks=2")
    expect(result.stdout).toContain("unitless=2")
  })
})
