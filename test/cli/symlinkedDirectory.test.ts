/**
 * The built CLI, as root, on a pidfile path through a symbolic link that
 * another user planted (CVE-2018-16888): `nobody` owns `$D/run` and links
 * `$D/run/web -> ../rootjob`, where root's job has its pidfile. Each script
 * runs in its own PID namespace; the links and directories are made by root
 * and given to `nobody` (uid 65534) to stand for that user's.
 */
import { describe, expect, it } from "vitest"
import { runInPidNamespace } from "../support/cli.js"

/** Root's job `$V` with its pidfile and record in `$D/rootjob`, `nobody`'s link to it, and `run` to log an exit code. */
const prelude = String.raw`
mkdir $D/rootjob $D/run
sleep 1000 & V=$!
$SIPID claim --pid $V --pid-file $D/rootjob/web.pid 2>/dev/null
chown nobody $D/run
ln -s ../rootjob $D/run/web; chown -h nobody $D/run/web
run() { local name=$1; shift; code=0; "$@" >>$D/out 2>>$D/err || code=$?; echo "$name=$code"; }
snapshot() { (cd $D/rootjob && ls -A && cat web.pid web.pid.identity) | md5sum; }
`

const ns = (script: string) => runInPidNamespace(prelude + script)

const refusal = /run\/web\/web\.pid: its path goes through the symbolic link \S+\/run\/web -> \.\.\/rootjob, and uid 65534 owns it, so another user may point it anywhere/

describe("a symbolic link on the way to the pidfile, planted by another user", () => {
  it("kill, kill --tree and status refuse it (exit 4): root's job is not signalled, its files not touched", async () => {
    const result = await ns(String.raw`
      before=$(snapshot)
      run kill $SIPID kill --pid-file $D/run/web/web.pid --grace 1s
      run tree $SIPID kill --pid-file $D/run/web/web.pid --tree --grace 1s
      run status $SIPID status --pid-file $D/run/web/web.pid
      run "status --tree" $SIPID status --pid-file $D/run/web/web.pid --tree
      kill -0 $V && echo "root's job alive"
      [ "$(snapshot)" = "$before" ] && echo "root's files untouched"
      cat $D/err $D/out
    `)
    expect(result.stdout).toContain("kill=4")
    expect(result.stdout).toContain("tree=4")
    expect(result.stdout).toContain("status=4")
    expect(result.stdout).toContain("status --tree=4")
    expect(result.stdout).toContain("root's job alive")
    expect(result.stdout).toContain("root's files untouched")
    expect(result.stdout).toMatch(refusal)
    expect(result.stdout).toMatch(/^unknown: .*run\/web\/web\.pid: its path goes through the symbolic link/m)
  })

  it("claim refuses it (exit 4) and writes nothing: not over a stale pidfile there, not its record, not a directory", async () => {
    const result = await ns(String.raw`
      echo 99999 > $D/rootjob/old.pid
      before=$(snapshot)
      sleep 1000 & C=$!
      run claim $SIPID claim --pid $C --pid-file $D/run/web/old.pid
      run "claim mkdir" $SIPID claim --pid $C --pid-file $D/run/web/sub/new.pid
      [ "$(snapshot)" = "$before" ] && [ "$(cat $D/rootjob/old.pid)" = 99999 ] && echo "root's files untouched"
      cat $D/err
    `)
    expect(result.stdout).toContain("claim=4")
    expect(result.stdout).toContain("claim mkdir=4")
    expect(result.stdout).toContain("root's files untouched")
    // The first thing claim does is make the pidfile's directory: that is what it names.
    expect(result.stdout).toMatch(/claim \S+\/run\/web\/old\.pid: \S+\/run\/web: its path goes through the symbolic link/)
  })

  it("root's own link, or root's link in a sticky directory, is followed: kill stops the job through it", async () => {
    const result = await ns(String.raw`
      ln -s rootjob $D/alias
      mkdir -m 1777 $D/tmp; ln -s ../rootjob $D/tmp/web
      run status $SIPID status --pid-file $D/tmp/web/web.pid
      run kill $SIPID kill --pid-file $D/alias/web.pid --grace 1s
      kill -0 $V 2>/dev/null || echo "root's job stopped"
      [ -e $D/rootjob/web.pid ] || echo "pidfile removed"
      cat $D/err
    `)
    expect(result.stdout).toContain("status=0")
    expect(result.stdout).toContain("kill=0")
    expect(result.stdout).toContain("root's job stopped")
    expect(result.stdout).toContain("pidfile removed")
  })
})
