/**
 * `sipid run`, built, against real processes, each test in a PID namespace
 * of its own: the job keeps sipid's PID, runs as its user with its limits,
 * gets only stdin to stderr, and a crashed job's leftovers are stopped
 * before it starts. `npm test` runs this against the npm bin and the release
 * executable (whose launcher's changes to the environment the job must not see).
 */
import { describe, expect, it } from "vitest"
import { runInPidNamespace } from "../support/cli.js"

/**
 * Shell helpers for the scripts: `until_ok CMD` waits up to 20 s for CMD to
 * succeed; `sleeps` counts the processes named sleep; `field F PID` is
 * /proc/PID/status's line F; `job_of PID` waits until PID has exec'd its job
 * (its name is no longer sipid's runtime's).
 */
const helpers = String.raw`
until_ok() { local deadline=$((SECONDS + 20)); until eval "$1"; do ((SECONDS < deadline)) || { echo "timed out: $1"; exit 1; }; sleep 0.02; done; }
sleeps() { local n=0 c; for c in /proc/[0-9]*/comm; do [ "$(cat $c 2>/dev/null)" = sleep ] && n=$((n + 1)); done; echo $n; }
field() { grep "^$1:" /proc/$2/status | cut -f2- | tr '\t' ' '; }
job_of() { until_ok "[ \"\$(cat /proc/$1/comm 2>/dev/null)\" = ${"$"}{2:-sleep} ]"; }
P=$D/job.pid
`

const inNamespace = (script: string) => runInPidNamespace(helpers + script)

describe("sipid run: the job becomes sipid's process", () => {
  it("keeps sipid's PID, which the pidfile names, in a session of its own; sipid's exit code is then the job's", async () => {
    const result = await inNamespace(String.raw`
      $SIPID run --pid-file $P -- sh -c 'echo $$ > '$D'/self; exec sleep 1000' &
      S=$!
      until_ok "[ -s $D/self ]"
      job_of $S
      echo "sipid $S, job $(cat $D/self), pidfile $(cat $P), session $(cut -d' ' -f6 /proc/$S/stat)"
      kill $S
      set +e; $SIPID run --pid-file $D/other.pid -- sh -c 'exit 7'; echo "exit $?"
    `)
    const [, sipid, job, pidfile, session] = /sipid (\d+), job (\d+), pidfile (\d+), session (\d+)/.exec(result.stdout) ?? []
    expect(sipid, result.stderr).toBeDefined()
    expect([job, pidfile, session]).toEqual([sipid, sipid, sipid])
    expect(result.stdout).toContain("exit 7")
    expect(result.stderr).toMatch(new RegExp(`INFO +sipid run \\S+job.pid: claimed for process ${sipid}\\n.*INFO +sipid run \\S+job.pid: starting /\\S+/sh as process ${sipid}`))
  })

  it("--user: real, effective and saved uid and gid are the user's, with its groups and no capability; the pidfile and its record stay root's", async () => {
    const result = await inNamespace(String.raw`
      cp /etc/passwd $D/passwd; cp /etc/group $D/group
      echo "sipidjob:x:52001:52001::/home/sipidjob:/bin/sh" >> $D/passwd
      printf 'sipidjob:x:52001:\nsipidextra:x:52002:other,sipidjob\nsipidmore:x:52003:sipidjob\nsipidnot:x:52004:other\n' >> $D/group
      mount --bind $D/passwd /etc/passwd; mount --bind $D/group /etc/group
      $SIPID run --background --pid-file $P --user sipidjob -- sleep 1000
      J=$(cat $P)
      echo "Uid $(field Uid $J)"; echo "Gid $(field Gid $J)"; echo "Groups $(field Groups $J)"; echo "CapEff $(field CapEff $J)"; echo "CapPrm $(field CapPrm $J)"
      echo "owners $(stat -c %u:%g $P $P.identity | paste -sd' ')"
      echo "env $(tr '\0' '\n' < /proc/$J/environ | grep -E '^(HOME|USER|LOGNAME)=' | sort | paste -sd' ')"
      $SIPID run --background --pid-file $D/second.pid --user sipidjob:sipidnot -- sleep 1000
      echo "with GROUP: Gid $(field Gid $(cat $D/second.pid)), Groups $(field Groups $(cat $D/second.pid))"
    `)
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(result.stdout).toContain("Uid 52001 52001 52001 52001")
    expect(result.stdout).toContain("Gid 52001 52001 52001 52001")
    expect(result.stdout).toMatch(/^Groups 52001 52002 52003 ?$/m)
    expect(result.stdout).toContain("CapEff 0000000000000000")
    expect(result.stdout).toContain("CapPrm 0000000000000000")
    expect(result.stdout).toContain("owners 0:0 0:0")
    expect(result.stdout).toContain("env HOME=/home/sipidjob LOGNAME=sipidjob USER=sipidjob")
    expect(result.stdout).toMatch(/^with GROUP: Gid 52004 52004 52004 52004, Groups 52002 52003 52004 ?$/m)
    expect(result.stderr).toMatch(/starting \S+\/sleep as process \d+ \(user sipidjob\)/)
  })

  it("sets the limits, umask, niceness, no_new_privs and directory asked for; every signal at its default action and none blocked", async () => {
    const result = await inNamespace(String.raw`
      trap '' INT QUIT HUP
      $SIPID run --pid-file $P --limit nofile=1000:2000 --limit core=unlimited --umask 027 --nice 5 --no-new-privs --chdir /tmp -- sleep 1000 &
      S=$!
      job_of $S
      grep -E '^Max (open files|core file size)' /proc/$S/limits
      for f in Umask NoNewPrivs SigIgn SigBlk; do echo "$f $(field $f $S)"; done
      echo "nice $(cut -d' ' -f19 /proc/$S/stat), cwd $(readlink /proc/$S/cwd)"
      kill $S
    `)
    expect(result.stdout, result.stderr).toMatch(/^Max open files +1000 +2000 +files/m)
    expect(result.stdout).toMatch(/^Max core file size +unlimited +unlimited +bytes/m)
    expect(result.stdout).toContain("Umask 0027")
    expect(result.stdout).toContain("NoNewPrivs 1")
    // The shell ignored INT, QUIT and HUP; the runtimes ignore PIPE and XFSZ: none of it reaches the job.
    expect(result.stdout).toContain("SigIgn 0000000000000000")
    expect(result.stdout).toContain("SigBlk 0000000000000000")
    expect(result.stdout).toContain("nice 5, cwd /tmp")
  })

  it("closes every descriptor but stdin, stdout and stderr, which are blocking and the job's logs when asked for; inherited ones too", async () => {
    const result = await inNamespace(String.raw`
      $SIPID run --pid-file $P --stdout $D/out.log --stderr $D/err.log -- sh -c 'echo to-stdout; echo to-stderr >&2; exec sleep 1000' 5</dev/null 7>$D/inherited &
      S=$!
      job_of $S
      for fd in /proc/$S/fd/*; do echo "fd ${"$"}{fd##*/} -> $(readlink $fd) flags $(grep flags /proc/$S/fdinfo/${"$"}{fd##*/} | cut -f2)"; done
      echo "out: $(cat $D/out.log); err: $(cat $D/err.log)"
      kill $S
    `)
    const fds = result.stdout.split("\n").filter((line) => line.startsWith("fd "))
    expect(fds.map((line) => line.split(" ")[1]), result.stdout + result.stderr).toEqual(["0", "1", "2"])
    expect(fds[1]).toMatch(/-> \/\S+\/out\.log flags/)
    expect(fds[2]).toMatch(/-> \/\S+\/err\.log flags/)
    for (const line of fds) {
      // Neither O_NONBLOCK (04000) nor close-on-exec (02000000) in the octal flags.
      const flags = parseInt(line.split("flags ")[1]!, 8)
      expect(flags & 0o4000, line).toBe(0)
      expect(flags & 0o2000000, line).toBe(0)
    }
    expect(result.stdout).toContain("out: to-stdout; err: to-stderr")
  })

  it("gives the job the environment sipid was given, with --env on top, or --env alone with --clear-env", async () => {
    const result = await inNamespace(String.raw`
      export BUN_CONFIG_X=1 NODE_X=2 MALLOC_ARENA_MAX=2 JSC_x=3 SIPID_HIDDEN_MINE=4 LD_BIND_NOW= PLAIN=5
      $SIPID run --background --pid-file $P --env PLAIN=6 -- sleep 1000
      echo "job: $(tr '\0' '\n' < /proc/$(cat $P)/environ | grep -E '^(BUN_[A-Za-z_]*|JSC_x|NODE_X|MALLOC_ARENA_MAX|SIPID_HIDDEN_[A-Za-z_]*|SIPID_RUN_STATUS_FD|LD_[A-Za-z_]*|PLAIN)=' | sort | paste -sd' ')"
      $SIPID run --background --pid-file $D/clear.pid --clear-env --env ONLY=1 -- sleep 1000
      echo "cleared: $(tr '\0' ' ' < /proc/$(cat $D/clear.pid)/environ)"
    `)
    expect(result.stdout, result.stderr).toContain("job: BUN_CONFIG_X=1 JSC_x=3 LD_BIND_NOW= MALLOC_ARENA_MAX=2 NODE_X=2 PLAIN=6 SIPID_HIDDEN_MINE=4\n")
    expect(result.stdout).toContain("cleared: ONLY=1 \n")
  })
})

describe("sipid run: what is refused or fails", () => {
  it("a command that is not there (127) or not executable (126) leaves no pidfile; nothing is claimed", async () => {
    const result = await inNamespace(String.raw`
      set +e
      $SIPID run --pid-file $P -- no-such-command-sipid; echo "missing $?"
      printf 'data\n' > $D/data; chmod 644 $D/data
      $SIPID run --pid-file $P -- $D/data; echo "not executable $?"
      $SIPID run --background --pid-file $P -- no-such-command-sipid; echo "background missing $?"
      [ -e $P ] || [ -e $P.identity ] || echo "no pidfile"
    `)
    expect(result.stdout).toContain("missing 127")
    expect(result.stdout).toContain("not executable 126")
    expect(result.stdout).toContain("background missing 127")
    expect(result.stdout).toContain("no pidfile")
    expect(result.stderr).toMatch(/ERROR +sipid run \S+: no-such-command-sipid: not found in PATH/)
    expect(result.stderr).toMatch(/ERROR +sipid run \S+: \S+\/data: is not executable by uid 0 \(mode 0644, owner 0:0\)/)
    expect(result.stderr).not.toContain("claimed")
  })

  it("an exec that fails after the claim withdraws it; --background reports the failure with its code", async () => {
    const result = await inNamespace(String.raw`
      printf '#!/no/such/interpreter\n' > $D/script; chmod 755 $D/script
      mkdir -m 700 $D/private; cp /bin/true $D/private/job
      set +e
      $SIPID run --pid-file $P -- $D/script; echo "interpreter missing $?"
      $SIPID run --background --pid-file $P -- $D/script; echo "background interpreter missing $?"
      $SIPID run --background --pid-file $P --user nobody -- $D/private/job; echo "background not allowed $?"
      # A limit that leaves sipid no descriptor to open: its own limits come back before it withdraws the claim.
      # (The hard limit kept: raising a lowered one back needs CAP_SYS_RESOURCE, which a container may lack.)
      $SIPID run --pid-file $P --limit nofile=12:$(ulimit -Hn) -- $D/script; echo "low nofile $?"
      [ -e $P ] || [ -e $P.identity ] || echo "no pidfile"
      $SIPID run --pid-file $D/low.pid --limit nofile=12 -- sh -c 'echo "job ran with nofile $(ulimit -n)"'
    `)
    expect(result.stdout, result.stderr).toContain("interpreter missing 127")
    expect(result.stdout).toContain("background interpreter missing 127")
    expect(result.stdout).toContain("background not allowed 126")
    expect(result.stdout).toContain("low nofile 127")
    expect(result.stdout).toContain("no pidfile")
    expect(result.stdout).toContain("job ran with nofile 12")
    expect(result.stderr).toMatch(/ERROR +sipid run \S+: \S+\/script: exec \S+ failed: ENOENT .*\(is its #! interpreter missing\?\)/)
    expect(result.stderr).toMatch(/ERROR +sipid run \S+: \S+\/private\/job: exec failed: EACCES/)
    expect(result.stderr.match(/pidfile removed/g)).toHaveLength(4)
  })

  it("a live job is not started twice: exit 1, a warning that does not ask to stop it, and the command does not run", async () => {
    const result = await inNamespace(String.raw`
      $SIPID run --background --pid-file $P -- sleep 1000
      FIRST=$(cat $P)
      set +e
      $SIPID run --pid-file $P -- sh -c "touch $D/second-ran"; echo "second $?"
      $SIPID run --background --pid-file $P -- sh -c "touch $D/second-ran"; echo "background second $?"
      [ -e $D/second-ran ] || echo "second never ran"
      echo "pidfile $(cat $P) was $FIRST"
    `)
    expect(result.stdout).toContain("second 1")
    expect(result.stdout).toContain("background second 1")
    expect(result.stdout).toContain("second never ran")
    const [, now, was] = /pidfile (\d+) was (\d+)/.exec(result.stdout) ?? []
    expect(now).toBe(was)
    expect(result.stderr).toMatch(new RegExp(`WARN +sipid run \\S+: process ${was} runs the job already; not started again`))
    expect(result.stderr).not.toMatch(/ERROR|stop it first|sipid kill/)
  })

  it("a log file that is a symbolic link, or lies behind a link the job's user planted, is refused as root would otherwise open its target for the job: exit 5, the claim withdrawn", async () => {
    const result = await inNamespace(String.raw`
      echo secret > $D/target; ln -s $D/target $D/out.log
      set +e
      $SIPID run --pid-file $P --stdout $D/out.log -- sleep 1000; echo "exit $?"
      [ -e $P ] || echo "no pidfile"; echo "target: $(cat $D/target)"
      # The job's user owns its log directory and links a directory of root's into it.
      mkdir $D/log; chown nobody $D/log; ln -s $D $D/log/up; chown -h nobody $D/log/up
      $SIPID run --pid-file $P --user nobody --stdout $D/log/up/target -- sh -c 'echo planted'; echo "through a planted directory link: exit $?"
      [ -e $P ] || echo "still no pidfile"; echo "target now: $(cat $D/target)"
    `)
    expect(result.stdout).toContain("exit 5")
    expect(result.stdout).toContain("no pidfile")
    expect(result.stdout).toContain("target: secret")
    expect(result.stderr).toMatch(/out\.log: open for append failed: a symbolic link, which sipid does not follow/)
    expect(result.stdout).toContain("through a planted directory link: exit 5")
    expect(result.stdout).toContain("still no pidfile")
    expect(result.stdout).toContain("target now: secret")
    expect(result.stderr).toMatch(/up\/target: open for append failed: its path goes through the symbolic link \S+\/log\/up -> \S+, and uid 65534 owns it/)
  })
})

/** A job (bash and two sleeps) started by `$1` (run or claim), claimed, then its main process SIGKILLed: its sleeps live on in its session. */
const crashedPool = String.raw`
$SIPID run --background --pid-file $P -- bash -c 'sleep 1000 & sleep 1000 & wait'
M=$(cat $P)
until_ok '[ $(sleeps) = 2 ]'
kill -KILL $M; until_ok "[ ! -e /proc/$M ]"
`

/** The new job counts the sleeps still running when it starts, then becomes one itself. */
const countingJob = String.raw`sh -c 'n=0; for c in /proc/[0-9]*/comm; do [ "$(cat $c 2>/dev/null)" = sleep ] && n=$((n + 1)); done; echo $n > '$D'/at-start; exec sleep 1000'`

describe("sipid run and claim --tree over a crashed job's leftovers", () => {
  it("run stops a crashed pool's workers before the new job starts", async () => {
    const result = await inNamespace(crashedPool + String.raw`
      $SIPID run --background --pid-file $P -- ${countingJob}
      until_ok "[ -s $D/at-start ]"
      echo "sleeps when the new job started: $(cat $D/at-start); pidfile names $(cat /proc/$(cat $P)/comm)"
    `)
    expect(result.stdout, result.stderr).toContain("sleeps when the new job started: 0; pidfile names sleep")
    expect(result.stderr).toMatch(/WARN +sipid run \S+: pidfile is stale: process \d+ has exited; stopping what is left of its job/)
    expect(result.stderr).toMatch(/found 2 process\(es\) in process \d+'s job/)
  })

  it("run --keep-remains leaves them, naming them in a warning", async () => {
    const result = await inNamespace(crashedPool + String.raw`
      $SIPID run --background --keep-remains --pid-file $P -- ${countingJob}
      until_ok "[ -s $D/at-start ]"
      echo "sleeps when the new job started: $(cat $D/at-start)"
    `)
    expect(result.stdout, result.stderr).toContain("sleeps when the new job started: 2")
    expect(result.stderr).toMatch(/WARN +sipid run \S+: process \d+'s job left 2 process\(es\) running, which may hold its port or files: \d+ \(sleep\), \d+ \(sleep\);.* kill \d+ \d+/)
  })

  it("claim --tree stops them before claiming", async () => {
    const result = await inNamespace(crashedPool + String.raw`
      sleep 1000 & NEW=$!
      $SIPID claim --tree --pid $NEW --pid-file $P
      echo "after claim --tree: $(sleeps) sleep(s); pidfile names the new one: $([ $(cat $P) = $NEW ] && echo yes)"
    `)
    expect(result.stdout, result.stderr).toContain("after claim --tree: 1 sleep(s); pidfile names the new one: yes")
    expect(result.stderr).toMatch(/WARN +sipid claim \S+: pidfile is stale: .*; stopping what is left of its job/)
  })

  it("claim alone claims at once and warns, naming them and how to stop them", async () => {
    const result = await inNamespace(crashedPool + String.raw`
      sleep 1000 & NEW=$!
      $SIPID claim --pid $NEW --pid-file $P
      echo "after claim: $(sleeps) sleep(s); pidfile names the new one: $([ $(cat $P) = $NEW ] && echo yes)"
    `)
    expect(result.stdout, result.stderr).toContain("after claim: 3 sleep(s); pidfile names the new one: yes")
    expect(result.stderr).toMatch(/WARN +sipid claim \S+: process \d+'s job left 2 process\(es\) running, .*: stop them first \(claim --tree, or run without --keep-remains\), or kill \d+ \d+$/m)
  })
})
