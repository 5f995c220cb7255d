/**
 * sipid under a real monit, as in a BOSH job: monit starts the job through
 * a ctl script that claims the pidfile, watches the process through it,
 * restarts the job when it dies (the claim then finds a stale pidfile), and
 * stops it through `sipid kill`. All inside a PID namespace.
 *
 * Modern monit waits for a start program to exit (BOSH's fork does not), so
 * the ctl script starts the job in the background, the way a
 * non-BOSH monit setup must.
 */
import { execFileSync } from "node:child_process"
import { describe, expect, it } from "vitest"
import { runInPidNamespace } from "../support/cli.js"

const hasMonit = (() => {
  try {
    execFileSync("monit", ["-V"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

// Within the namespace: $SIPID is the CLI; monit polls every second.
const scenario = String.raw`
P=$D/run/web.pid
until_true() { for _ in $(seq 200); do eval "$1" && return 0; sleep 0.05; done; echo "timed out: $1"; return 1; }
cat > $D/ctl <<CTL
#!/bin/bash
case \$1 in
  start) setsid bash -c '$SIPID claim --pid \$\$ --pid-file $P 2>>$D/claim.log && exec sleep 1000' </dev/null >/dev/null 2>&1 & ;;
  stop) exec $SIPID kill --pid-file $P --grace 2s 2>>$D/kill.log ;;
esac
CTL
chmod +x $D/ctl
cat > $D/monitrc <<RC
set daemon 1
set pidfile $D/monit.pid
set idfile $D/monit.id
set statefile $D/monit.state
set httpd unixsocket $D/monit.sock
  allow localhost
check process web with pidfile $P
  start program = "$D/ctl start"
  stop program = "$D/ctl stop"
RC
chmod 600 $D/monitrc
monit -c $D/monitrc -I >$D/monit.log 2>&1 &
web_status() { monit -c $D/monitrc status web | awk '$1 == "status" { $1 = ""; print substr($0, 2) }'; }

until_true '$SIPID status --pid-file $P >/dev/null 2>&1'
until_true '[ "$(web_status)" = OK ]'
FIRST=$(cat $P)
echo "monit watches $(monit -c $D/monitrc status web | awk '$1 == "pid" { print $2 }'), the pidfile names $FIRST"

kill -9 $FIRST
until_true '[ "$(cat $P)" != $FIRST ] && $SIPID status --pid-file $P >/dev/null 2>&1'
echo "restarted: $FIRST -> $(cat $P)"

monit -c $D/monitrc stop web
until_true '[ ! -e $P ]'
until_true '[ "$(web_status)" = "Not monitored" ]'
echo "stopped: pidfile removed, monit says $(web_status)"
set +e; $SIPID status --pid-file $P >/dev/null; echo "status=$?"
cat $D/claim.log $D/kill.log >&2
`

describe.skipIf(!hasMonit)("sipid under monit (install Debian's monit to run this)", () => {
  it("claims on start, is restarted over a stale pidfile, and stops through kill", async () => {
    const result = await runInPidNamespace(scenario)
    expect(result.stdout).not.toContain("timed out")
    const watched = /monit watches (\d+), the pidfile names (\d+)/.exec(result.stdout)
    expect(watched?.[1]).toBe(watched?.[2])
    const restarted = /restarted: (\d+) -> (\d+)/.exec(result.stdout)
    expect(restarted?.[2]).not.toBe(restarted?.[1])
    expect(result.stderr).toContain(`pidfile is stale: process ${restarted?.[1]} has exited`)
    expect(result.stdout).toContain("stopped: pidfile removed, monit says Not monitored")
    expect(result.stdout).toContain("status=3")
    expect(result.stderr).toMatch(new RegExp(`process ${restarted?.[2]} exited after`))
  })
})
