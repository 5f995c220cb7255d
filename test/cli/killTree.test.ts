/**
 * `sipid kill --tree` and `status --tree`, built, against real process
 * trees. Every script runs in its own PID namespace, so whatever a bug
 * would signal can only reach the script's own processes; each job is
 * started under `setsid`, as a BOSH ctl script starts it.
 */
import { describe, expect, it } from "vitest"
import { type RunResult, runInPidNamespace } from "../support/cli.js"
import { installed } from "../support/tools.js"

const hasStrace = installed("strace", "-V")

const preludeBase = String.raw`
P=$D/job.pid
await_file() { until [ -s "$1" ]; do sleep 0.01; done; }
# Live (not zombie) processes whose command name is $1.
count() { local n=0 stat; for stat in /proc/[0-9]*/stat; do read -r line < $stat 2>/dev/null || continue
  [[ "$line" == *"($1) "[^Z]* ]] && n=$((n + 1)); done; echo $n; }
`

const ns = (script: string) => runInPidNamespace(preludeBase + stopJob + script)

/**
 * Once the job has written its main PID to $D/main and $2 processes named $1
 * run: claims, lists the job (status --tree), stops it with kill and the
 * remaining arguments, and says what is left.
 */
const stopJob = String.raw`
stop_job() { local name=$1 count=$2; shift 2
  await_file $D/main; M=$(cat $D/main)
  until [ $(count $name) = $count ]; do sleep 0.01; done
  $SIPID claim --pid $M --pid-file $P 2>/dev/null
  $SIPID status --pid-file $P --tree
  set +e; $SIPID kill --pid-file $P "$@"; echo "kill=$?"; set -e
  echo "$name left: $(count $name)"
  [ -e $P ] || echo "pidfile gone"; }
`

/** sipid's log without the line per exited process: what a failed expectation shows. */
const logOf = (stderr: string) => stderr.split("\n").filter((line) => !/\) exited after /.test(line)).join("\n").slice(-4000)

/** The job is gone, and so is its pidfile. */
const expectStopped = ({ stderr, stdout }: RunResult, name: string) => {
  expect(stdout, logOf(stderr)).toContain("kill=0")
  expect(stdout, logOf(stderr)).toContain(`${name} left: 0`)
  expect(stdout, logOf(stderr)).toContain("pidfile gone")
}

/**
 * A python master that ignores SIGTERM and `workers` workers, claimed, then
 * stopped by `kill --tree --grace 1s` run through `setUp` (a subshell's
 * commands before the exec, such as a ulimit); says what is left.
 */
const bigJob = (workers: number, setUp: string) =>
  ns(String.raw`
    setsid python3 -c "
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
for _ in range(${workers}):
    if os.fork() == 0:
        time.sleep(1000); os._exit(0)
open('$D/main', 'w').write(str(os.getpid()))
time.sleep(1000)" &
    await_file $D/main; M=$(cat $D/main)
    until [ $(count python3) = ${workers + 1} ]; do sleep 0.05; done
    $SIPID claim --pid $M --pid-file $P 2>/dev/null
    set +e; (${setUp}; exec $SIPID kill --pid-file $P --tree --grace 1s); echo "kill=$?"; set -e
    echo "python3 left: $(count python3)"
    [ -e $P ] || echo "pidfile gone"
  `)

describe("sipid kill --tree (real processes, own PID namespace)", () => {
  it("a shell that starts three sleeps and exits on SIGTERM: the orphaned sleeps get SIGTERM too, none is left", async () => {
    const result = await ns(String.raw`
      setsid bash -c 'echo $$ > $D/main; trap "exit 0" TERM; sleep 1000 & sleep 1000 & sleep 1000 & wait' &
      stop_job sleep 3 --tree --grace 5s
    `)
    expectStopped(result, "sleep")
    expect(result.stdout).toMatch(/^ {2}\d+ bash \(main\)$/m)
    expect(result.stdout.match(/^ {2}\d+ sleep \(child of \d+\)$/gm)).toHaveLength(3)
    expect(result.stderr).toMatch(/found 3 process\(es\) in process \d+'s job/)
    expect(result.stderr).toMatch(/sent SIGTERM to process \d+[\s\S]*exited[\s\S]*sent SIGTERM to 3 other process\(es\) of the job/)
    expect(result.stderr).not.toContain("SIGKILL")
  })

  it("a python master whose workers ignore SIGTERM: SIGTERM to the master alone, SIGKILL to all after the grace", async () => {
    const result = await ns(String.raw`
      setsid python3 -c "
import os, signal, time
workers = []
for _ in range(3):
    child = os.fork()
    if child == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(1000)
        os._exit(0)
    workers.append(child)
def stop(*_):
    for worker in workers: os.kill(worker, signal.SIGTERM)
    for worker in workers: os.waitpid(worker, 0)
    os._exit(0)
signal.signal(signal.SIGTERM, stop)
open('$D/main', 'w').write(str(os.getpid()))
time.sleep(1000)" &
      stop_job python3 4 --tree --grace 500ms
    `)
    expectStopped(result, "python3")
    expect(result.stderr).toMatch(/found 3 process\(es\)/)
    // Mixed mode: the master forwards SIGTERM itself; sipid's only broadcast is SIGKILL.
    expect(result.stderr).not.toMatch(/sent SIGTERM to \d+ other/)
    expect(result.stderr).toMatch(/sent SIGKILL to 3 other process\(es\) of the job/)
  })

  it("a daemon that double-forked under a setsid job is found by its session and stopped", async () => {
    const result = await ns(String.raw`
      setsid bash -c 'echo $$ > $D/main; trap "exit 0" TERM; (sleep 1000 &); sleep 1000 & wait' &
      # The daemon: a sleep re-parented to init once the subshell that started it exited.
      daemon() { for stat in /proc/[0-9]*/stat; do read -r line < $stat 2>/dev/null || continue
        case "$line" in *"(sleep) "[RS]" 1 "*) echo "$line" | cut -d" " -f1; return;; esac; done; }
      until [ $(count sleep) = 2 ] && [ -n "$(daemon)" ]; do sleep 0.01; done
      echo "daemon: $(daemon)"
      stop_job sleep 2 --tree --grace 5s
    `)
    const daemon = /daemon: (\d+)/.exec(result.stdout)?.[1]
    expect(daemon, result.stdout + result.stderr).toBeDefined()
    expect(result.stdout).toMatch(new RegExp(`^ {2}${daemon} sleep \\(in session \\d+\\)$`, "m"))
    expectStopped(result, "sleep")
  })

  it("leaves alone a process that took over an exited member's PID (ns_last_pid), and a bystander of the same name", async () => {
    const result = await ns(String.raw`
      sleep 1000 & BYSTANDER=$!
      setsid bash -c 'echo $$ > $D/main; trap "" TERM
python3 -c "import os, time
while not os.path.exists(\"$D/go\"): time.sleep(0.01)" & echo $! > $D/worker
sleep 1000 & wait' &
      await_file $D/main; await_file $D/worker; M=$(cat $D/main); W=$(cat $D/worker)
      $SIPID claim --pid $M --pid-file $P 2>/dev/null
      $SIPID kill --pid-file $P --tree --grace 2s 2>$D/kill.log & K=$!
      until grep -q "found 2 process" $D/kill.log; do sleep 0.01; done
      touch $D/go
      while [ -e /proc/$W ]; do sleep 0.01; done
      echo $((W - 1)) > /proc/sys/kernel/ns_last_pid
      sleep 1000 & NEWCOMER=$!
      [ "$NEWCOMER" = "$W" ] && echo "PID reused"
      set +e; wait $K; echo "kill=$?"
      kill -0 $NEWCOMER && echo "newcomer alive"
      kill -0 $BYSTANDER && echo "bystander alive"
      cat $D/kill.log >&2
    `)
    expect(result.stdout, result.stderr).toContain("PID reused")
    expect(result.stdout).toContain("kill=0")
    expect(result.stdout).toContain("newcomer alive")
    expect(result.stdout).toContain("bystander alive")
    const worker = /found 2 process\(es\) in process \d+'s job: (\d+), (\d+)/.exec(result.stderr)
    expect(worker).not.toBeNull()
    expect(result.stderr).toMatch(/process \d+ \(python3\) exited after/)
    // SIGKILL went to the one member left, not to the PID the newcomer took.
    expect(result.stderr).toMatch(/sent SIGKILL to 1 other process\(es\) of the job: \d+\n/)
  })

  it("a job bigger than sipid's open-file limit (ulimit -n 128, 301 processes): stopped whole, exit 0, nothing left", async () => {
    const result = await bigJob(300, "ulimit -n 128")
    expectStopped(result, "python3")
    // 128 less the descriptors sipid has open at start (its runtime's: Node's ~19, Bun's ~8) and the 64 kept free:
    // the main process and the first workers hold pidfds, the others are pinned by start time.
    // (On a busy machine the first look may stop at its 1 s before it found all 300: later looks find the rest.)
    const found = [...result.stderr.matchAll(/found (\d+) (?:more )?process\(es\) in process \d+'s job/g)].map((match) => Number(match[1]))
    expect(found.reduce((sum, count) => sum + count, 0)).toBe(300)
    const byIdentity = [...result.stderr.matchAll(/(\d+) of them pinned by start time alone \(past the pidfd budget\)/g)].map((match) => Number(match[1]))
    const pinnedByIdentity = byIdentity.reduce((sum, count) => sum + count, 0)
    // 237 would be the count had sipid nothing open but its pidfds.
    expect(pinnedByIdentity).toBeGreaterThan(237)
    expect(pinnedByIdentity).toBeLessThanOrEqual(300)
    expect(result.stderr).not.toContain("EMFILE")
  })

  it("a start script that passes on 100 open descriptors (ulimit -n 200, 121 processes): they count against the limit, the job is stopped whole, exit 0", async () => {
    // Without counting them, sipid would hold pidfds up to 200 less its reserve and run out of descriptors for /proc.
    const result = await bigJob(120, String.raw`for fd in $(seq 10 109); do eval "exec $fd</dev/null"; done; ulimit -n 200`)
    expectStopped(result, "python3")
    expect(result.stderr).toMatch(/\d+ of them pinned by start time alone \(past the pidfd budget\)/)
    expect(result.stderr).not.toContain("EMFILE")
  })

  it("a job of 2,000 children whose main process leads no session (no setsid): all found before SIGTERM, all stopped, exit 0", async () => {
    // Found one by one, 2,000 take longer than the first look's second. Once the main process exits on
    // SIGTERM, a child not found by then is re-parented to init, where nothing relates it to the job.
    const result = await ns(String.raw`
      python3 -c "
import os, time
for _ in range(2000):
    os.posix_spawn('/bin/sleep', ['sleep', '1000'], {})
open('$D/main', 'w').write(str(os.getpid()))
time.sleep(1000)" &
      # posix_spawn returns once its child runs sleep: all 2,000 are there when main is written.
      await_file $D/main; M=$(cat $D/main)
      $SIPID claim --pid $M --pid-file $P 2>/dev/null
      set +e; $SIPID kill --pid-file $P --tree; echo "kill=$?"; set -e
      echo "sleep left: $(count sleep)"
      [ -e $P ] || echo "pidfile gone"
    `)
    expectStopped(result, "sleep")
    expect(result.stderr).toMatch(/found 2000 process\(es\) in process \d+'s job/)
    expect(result.stderr).toMatch(/sent SIGTERM to 2000 other process\(es\) of the job/)
  })

  it.skipIf(!hasStrace)("a supervisor that exits as SIGKILL reaches its workers, before its own: a worker still dying is waited for, not reported (install strace to run this)", async () => {
    // strace holds sipid for 300 ms after its SIGKILL to the first worker (its second pidfd_send_signal,
    // after SIGTERM to the supervisor): the supervisor's wait returns and it exits before its own SIGKILL.
    // The second worker gives back 512 MiB as it dies, which takes tens of ms after its SIGKILL.
    const result = await ns(String.raw`
      setsid python3 -c "
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
for n, hog in enumerate([0, 512 << 20]):
    if os.fork() == 0:
        memory = b'x' * hog
        open('$D/ready.%d' % n, 'w').write('ready')
        time.sleep(1000); os._exit(0)
open('$D/main', 'w').write(str(os.getpid()))
os.wait()
os._exit(0)" &
      await_file $D/main; await_file $D/ready.0; await_file $D/ready.1; M=$(cat $D/main)
      $SIPID claim --pid $M --pid-file $P 2>/dev/null
      set +e
      strace -f -qq -o /dev/null -e trace=pidfd_send_signal -e inject=pidfd_send_signal:delay_exit=300000:when=2 \
        $SIPID kill --pid-file $P --tree --retry TERM/1/KILL/5
      echo "kill=$?"; set -e
      echo "python3 left: $(count python3)"
      [ -e $P ] || echo "pidfile gone"
    `)
    expect(result.stderr).toMatch(/process \d+ exited before SIGKILL was sent/)
    expectStopped(result, "python3")
  })

  it("a member that survives names itself: exit 1, pidfile kept, the state in the error", async () => {
    // Nothing survives SIGKILL for root here, so the schedule sends none: a master that ignores
    // SIGTERM (and passes that on to its child) outlives TERM/1 with its job.
    const result = await ns(String.raw`
      setsid bash -c 'echo $$ > $D/main; trap "" TERM; sleep 1000 & wait' &
      stop_job sleep 1 --tree --retry TERM/1
      [ -e $P ] && echo "pidfile kept"
      kill -9 $M
    `)
    expect(result.stdout).toContain("kill=1")
    expect(result.stdout).toContain("pidfile kept")
    expect(result.stderr).toMatch(
      /2 process\(es\) of process \d+'s job still alive after 1\.\d+s; the schedule sent no SIGKILL: \d+ \(main\) bash \(state S\), \d+ sleep \(state S\); pidfile kept, .*; add KILL\/N to --retry to force it$/m
    )
  })

  it("as root, with a pidfile owned by nobody: status --tree lists exactly the members kill --tree stops; a root worker is left out of both", async () => {
    // The master keeps saved uid nobody (so nobody could signal it); one worker becomes nobody,
    // the other stays root, which nobody could not signal.
    const result = await ns(String.raw`
      setsid python3 -c "
import os, time
os.setresuid(0, 0, 65534)
workers = []
for uids in [(65534, 65534, 65534), (0, 0, 0)]:
    child = os.fork()
    if child == 0:
        os.setresuid(*uids)
        time.sleep(1000)
        os._exit(0)
    workers.append(str(child))
open('$D/workers', 'w').write(' '.join(workers) + '\n')
open('$D/main', 'w').write(str(os.getpid()))
time.sleep(1000)" &
      await_file $D/main; until [ -s $D/workers ]; do sleep 0.01; done
      M=$(cat $D/main); read -r NOBODY ROOT < $D/workers; echo "main=$M nobody=$NOBODY root=$ROOT"
      until [ $(count python3) = 3 ]; do sleep 0.01; done
      $SIPID claim --pid $M --pid-file $P 2>/dev/null
      chown 65534 $P $P.identity
      $SIPID status --pid-file $P --tree
      set +e; $SIPID kill --pid-file $P --tree --grace 1s; echo "kill=$?"; set -e
      kill -0 $ROOT && echo "root worker alive"
      kill -0 $NOBODY 2>/dev/null || echo "nobody's worker gone"
      kill -9 $ROOT
    `)
    const [, main, nobody, root] = /main=(\d+) nobody=(\d+) root=(\d+)/.exec(result.stdout) ?? []
    expect(root, JSON.stringify(result)).toBeDefined()
    expect(result.stdout).toContain(`  ${main} python3 (main)\n  ${nobody} python3 (child of ${main})\n`)
    expect(result.stdout).not.toMatch(new RegExp(`^  ${root} `, "m"))
    expect(result.stderr).toMatch(
      new RegExp(`WARN +sipid status \\S+: job of process ${main}: 2 process\\(es\\): ${main}, ${nobody}; 1 left out, which the pidfile's owner \\(uid 65534\\) could not signal, so a stop of the tree leaves them alone: ${root}\n`)
    )
    expect(result.stdout).toContain("kill=0")
    expect(result.stdout).toContain("root worker alive")
    expect(result.stdout).toContain("nobody's worker gone")
  })

  it("warns when --tree's worst case passes monit's 30 s: --grace 24s is 1 + 24 + 2 + 5 + 1 with --tree, 29 s without", async () => {
    const result = await ns(String.raw`
      $SIPID kill --pid-file $P --grace 24s 2>$D/plain.log; echo "plain=$?"
      $SIPID kill --pid-file $P --grace 24s --tree 2>$D/tree.log; echo "tree=$?"
      grep -c "past monit's default stop timeout" $D/plain.log || true
      grep "past monit's default stop timeout" $D/tree.log
    `)
    expect(result.stdout).toContain("plain=0\ntree=0\n0\n")
    expect(result.stdout).toContain("the schedule may wait 33s, past monit's default stop timeout (30s)")
  })

  it("--tree-grace without --tree is a usage error", async () => {
    const result = await ns(String.raw`set +e; $SIPID kill --pid-file $P --tree-grace 1s; echo "kill=$?"`)
    expect(result.stdout).toContain("kill=2")
    expect(result.stderr).toContain("--tree-grace applies only with --tree")
  })
})
