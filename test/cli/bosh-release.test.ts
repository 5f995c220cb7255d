/**
 * examples/bosh-release under a real (stock) monit, as on a BOSH VM: the
 * sipid package is unpacked from the dist tarball by its packaging script,
 * the web job's templates are rendered under a temporary /var/vcap, and monit
 * runs the job through its monit file and ctl script with node nowhere on
 * the machine. All inside a PID and mount namespace: node is hidden there and
 * a vcap user added, without touching the host.
 *
 * Stock monit waits for a start program (BOSH's fork does not): a ctl that
 * kept the job in the foreground would time out after 30 s and fail here.
 */
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"
import { beforeAll, describe, expect, it } from "vitest"
import { runInPidNamespace } from "../support/cli.js"
import { distTarball } from "../support/dist.js"
import { installed } from "../support/tools.js"

const hasMonit = installed("monit", "-V")

const release = fileURLToPath(new URL("../../examples/bosh-release", import.meta.url))

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

// Within the namespace: $D is a fresh directory, $R the VM's /var/vcap.
const scenario = String.raw`
R=$D/vcap
LOG=$R/sys/log/web
P=$R/sys/run/web/web.pid
chmod 755 $D

# A stemcell: no node on the machine, a vcap user, monit's PATH.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
: > $D/no-node
for node in $(type -ap node | xargs -r realpath | sort -u); do mount --bind $D/no-node $node; done
if [ -x "$(command -v node)" ]; then echo "node is still on PATH"; exit 1; fi
if ! getent passwd vcap >/dev/null; then
  cp /etc/passwd $D/passwd && echo "vcap:x:52000:52000::/nonexistent:/usr/sbin/nologin" >> $D/passwd
  cp /etc/group $D/group && echo "vcap:x:52000:" >> $D/group
  mount --bind $D/passwd /etc/passwd && mount --bind $D/group /etc/group
fi

# Compile the sipid package from its blob, as the BOSH director does.
mkdir -p $D/compile/sipid $R/packages/sipid $R/packages/web/bin $R/jobs/web/bin
cp $TARBALL $D/compile/sipid/
(cd $D/compile && BOSH_INSTALL_TARGET=$R/packages/sipid $RELEASE/packages/sipid/packaging)

# The job's own package: serves /healthcheck, 503 until $D/ready exists.
cat > $R/packages/web/bin/web <<PY
#!/usr/bin/env python3
import http.server, os, sys
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ready = os.path.exists("$D/ready")
        self.send_response(200 if ready else 503)
        self.end_headers()
        self.wfile.write(b"ok\n" if ready else b"warming up\n")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[2])), Health).serve_forever()
PY
chmod 755 $R/packages/web/bin/web

# The pool job's package: a master that forks two workers sharing its listening socket, and
# leaves them behind when SIGTERM ends it, as a careless master does: only --tree stops them.
mkdir -p $R/packages/pool/bin $R/jobs/pool/bin
cat > $R/packages/pool/bin/pool <<PY
#!/usr/bin/env python3
import os, signal, socket, sys, time
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[2])))
server.listen()
for _ in range(2):
    if os.fork() == 0:
        while True:
            connection, _ = server.accept()
            connection.sendall(b"pool worker %d\n" % os.getpid())
            connection.close()
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
while True:
    time.sleep(1000)
PY
chmod 755 $R/packages/pool/bin/pool
sed "s/<%= p(\"port\") %>/$POOL_PORT/g" $RELEASE/jobs/pool/templates/ctl.erb > $R/jobs/pool/bin/ctl
chmod 755 $R/jobs/pool/bin/ctl
sed "s|/var/vcap|$R|g" $RELEASE/jobs/pool/monit > $R/jobs/pool/monit

# Render the job's templates (the only property: port) and its monit file.
render() { sed "s/<%= p(\"port\") %>/$PORT/g" $RELEASE/jobs/web/templates/$1.erb > $R/jobs/web/bin/$1; chmod 755 $R/jobs/web/bin/$1; }
render ctl
render post-start
if grep -n '<%' $R/jobs/web/bin/*; then echo "unrendered template"; exit 1; fi
sed "s|/var/vcap|$R|g" $RELEASE/jobs/web/monit > $R/jobs/web/monit
# The release's own monitrc, under this VCAP_ROOT, checking every second.
mkdir -p $R/monit
sed -e "s|/var/vcap|$R|g" -e "s/^set daemon 10$/set daemon 1/" $RELEASE/monitrc > $D/monitrc
grep -q "^set daemon 1$" $D/monitrc
chmod 600 $D/monitrc
MONIT_LOG=$R/monit/monit.log

wait_for() {
  local deadline=$((SECONDS + 20))
  until eval "$1"; do
    if ((SECONDS >= deadline)); then echo "timed out: $1"; exit 1; fi
    sleep 0.05
  done
}
# monit's view of web in one call (each takes a few hundred ms): "STATUS/PID".
monit_says() { local job=web; [ $# = 0 ] || job=$1; monit -c $D/monitrc status $job | awk '$1 == "status" { $1 = ""; s = substr($0, 2) } $1 == "pid" { p = $2 } END { print s "/" p }'; }
running() { [ -s $P ] && [ "$(monit_says)" = "OK/$(cat $P)" ]; }
gone() { [ ! -e /proc/$1 ] || [ "$(sed 's/.*) //' /proc/$1/stat | cut -d' ' -f1)" = Z ]; }
# The processes that run the script $1 (their argv[1], after the interpreter) with arguments $2...
pids_of() {
  local cmdline
  for cmdline in /proc/[0-9]*/cmdline; do
    [ "$(tr '\0' '\n' < $cmdline 2>/dev/null | sed -n "2,$(($# + 1))p" | paste -sd' ')" = "$*" ] && basename $(dirname $cmdline)
  done
  true
}
count_of() { pids_of "$@" | wc -l; }

VCAP_ROOT=$R monit -c $D/monitrc -I >$D/monit.out 2>&1 &

wait_for running
FIRST=$(cat $P)
echo "started: $FIRST runs as $(stat -c %U /proc/$FIRST), the job itself: $(count_of $R/packages/web/bin/web --port $PORT) web process(es), $(pids_of $R/packages/web/bin/web --port $PORT)"
echo "pidfile owned by $(stat -c %U $P), logs $(ls $LOG | paste -sd' ')"

if VCAP_ROOT=$R $R/jobs/web/bin/ctl start; then echo "second start: exit 0"; else echo "second start: exit $?"; fi
grep -q "process $FIRST runs the job already; not started again" $LOG/sipid.log
echo "second start: pidfile names $(cat $P), $(count_of $R/packages/web/bin/web --port $PORT) web process(es)"

kill -9 $FIRST
wait_for '[ "$(cat $P)" != $FIRST ] && running'
SECOND=$(cat $P)
echo "restarted: $FIRST -> $SECOND"

VCAP_ROOT=$R $R/jobs/web/bin/post-start 2>>$LOG/post-start.stderr.log &
POST_START=$!
wait_for "grep -q 'status 503' $LOG/post-start.stderr.log"
if kill -0 $POST_START; then echo "post-start waits while unhealthy"; fi
touch $D/ready
if wait $POST_START; then echo "post-start passed once healthy"; fi

monit -c $D/monitrc stop web
wait_for '[ ! -e $P ] && [ "$(monit_says)" = "Not monitored/" ]'
if gone $SECOND; then echo "stopped: process $SECOND gone, pidfile removed"; fi

monit -c $D/monitrc start web
wait_for running
echo "started again: $(cat $P)"
# The pool job: stopped with --tree, no worker is left and the port is free for the next start.
POOL_P=$R/sys/run/pool/pool.pid
pool_running() { [ -s $POOL_P ] && [ "$(monit_says pool)" = "OK/$(cat $POOL_P)" ]; }
pool_count() { count_of $R/packages/pool/bin/pool --port $POOL_PORT; }
answers() { python3 -c "import socket; print(socket.create_connection(('127.0.0.1', $POOL_PORT), 2).recv(100).decode().strip())"; }
port_free() { python3 -c "import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $POOL_PORT))" 2>/dev/null; }
wait_for pool_running
wait_for '[ $(pool_count) = 3 ]'
POOL=$(cat $POOL_P)
echo "pool: master $POOL and workers, $(pool_count) processes; $(answers)"
monit -c $D/monitrc stop pool
wait_for '[ ! -e $POOL_P ] && [ "$(monit_says pool)" = "Not monitored/" ]'
echo "pool stopped: $(pool_count) processes left"
if port_free; then echo "pool port free"; fi
monit -c $D/monitrc start pool
wait_for '[ -s $POOL_P ] && [ "$(cat $POOL_P)" != $POOL ] && pool_running'
wait_for '[ $(pool_count) = 3 ]'
echo "pool started again: $(cat $POOL_P); $(answers)"

# The master SIGKILLed (the OOM killer): its workers live on with the port. monit starts the job
# again, and sipid run stops them before the new master binds the port.
POOL=$(cat $POOL_P)
OLD_WORKERS=$(pids_of $R/packages/pool/bin/pool --port $POOL_PORT | grep -vx $POOL | paste -sd' ')
RESTARTS_BEFORE=$(grep -c "'pool' start:" $MONIT_LOG || true)
kill -9 $POOL; KILLED=$SECONDS
wait_for '[ -s $POOL_P ] && [ "$(cat $POOL_P)" != $POOL ] && pool_running'
wait_for '[ $(pool_count) = 3 ]'
echo "pool back after kill -9 in $((SECONDS - KILLED)) s, $(( $(grep -c "'pool' start:" $MONIT_LOG) - RESTARTS_BEFORE )) start(s); $(answers)"
for worker in $OLD_WORKERS; do gone $worker || echo "old worker $worker left"; done
echo "old workers were: $OLD_WORKERS"

monit -c $D/monitrc quit

echo "--- monit.log"; cat $MONIT_LOG $D/monit.out
echo "--- sipid.log"; cat $LOG/sipid.log
echo "--- post-start.stderr.log"; cat $LOG/post-start.stderr.log
echo "--- web.stderr.log"; cat $LOG/web.stderr.log
echo "--- pool sipid.log"; cat $R/sys/log/pool/sipid.log
echo "--- pool.stderr.log"; cat $R/sys/log/pool/pool.stderr.log
`

describe.skipIf(!hasMonit)("the example BOSH release under monit (install Debian's monit to run this)", () => {
  let tarball: string
  beforeAll(async () => {
    tarball = await distTarball()
  }, 600_000)

  // Each step waits for monit's 1 s cycle, and each `monit status` costs a few hundred ms on a busy machine.
  it("starts with sipid run, refuses a second start, restarts over a stale pidfile, gates post-start, stops and starts again, stops a job with workers (--tree) and brings it back after kill -9 with the port free, without node", { timeout: 150_000 }, async () => {
    const result = await runInPidNamespace(scenario, {
      TARBALL: tarball,
      RELEASE: release,
      PORT: String(await freePort()),
      POOL_PORT: String(await freePort())
    })
    const out = result.stdout
    expect(out, result.stderr).not.toContain("timed out")
    expect(result.code, `${out}${result.stderr}`).toBe(0)

    // sipid run: the pidfile names the job itself, which runs as vcap; the pidfile is root's, the logs in the job's directory.
    const started = /started: (\d+) runs as (\S+), the job itself: 1 web process\(es\), (\d+)/.exec(out)
    const first = started?.[1]
    expect(started?.[2]).toBe("vcap")
    expect(started?.[3]).toBe(first)
    expect(out).toContain("pidfile owned by root, logs sipid.log web.stderr.log web.stdout.log")
    // A second start while the job runs: refused (exit 1), with a warning, no error that asks to stop the job.
    expect(out).toContain("second start: exit 1")
    expect(out).toContain(`second start: pidfile names ${first}, 1 web process(es)`)
    expect(out).not.toContain("Address already in use")

    const second = /restarted: (\d+) -> (\d+)/.exec(out)?.[2]
    expect(second).toBeDefined()
    expect(second).not.toBe(first)
    expect(out).toContain("post-start waits while unhealthy")
    expect(out).toContain("post-start passed once healthy")
    expect(out).toContain(`stopped: process ${second} gone, pidfile removed`)
    const third = /started again: (\d+)/.exec(out)?.[1]
    expect(third).toBeDefined()
    expect([first, second]).not.toContain(third)

    expect(out).not.toMatch(/failed to (start|stop)/)
    const sipidLog = out.slice(out.indexOf("--- sipid.log"), out.indexOf("--- post-start.stderr.log"))
    expect(sipidLog).toMatch(new RegExp(`WARN +sipid run \\S+: process ${first} runs the job already; not started again`))
    expect(sipidLog).not.toMatch(/ERROR|stop it first/)
    expect(sipidLog).toContain(`claimed for process ${first}`)
    expect(sipidLog).toContain(`pidfile is stale: process ${first} has exited`)
    expect(sipidLog).toContain(`claimed for process ${second}`)
    expect(sipidLog).toMatch(new RegExp(`process ${second} exited after`))
    expect(sipidLog).toContain("pidfile removed")
    expect(sipidLog).toContain(`claimed for process ${third}`)
    expect(out).toMatch(/healthy after \d+ attempts/)

    // The pool job, stopped with --tree: its master exits on SIGTERM and leaves its workers, which sipid stops.
    const pool = /pool: master (\d+) and workers, 3 processes; pool worker \d+/.exec(out)?.[1]
    expect(pool).toBeDefined()
    expect(out).toContain("pool stopped: 0 processes left")
    expect(out).toContain("pool port free")
    expect(out).toMatch(/pool started again: \d+; pool worker \d+/)
    const poolLog = out.slice(out.indexOf("--- pool sipid.log"), out.indexOf("--- pool.stderr.log"))
    expect(poolLog).toContain(`stopping process ${pool} and its job`)
    expect(poolLog).toMatch(new RegExp(`found 2 process\\(es\\) in process ${pool}'s job`))
    expect(poolLog).toMatch(/sent SIGTERM to 2 other process\(es\) of the job/)
    expect(out.slice(out.indexOf("--- pool.stderr.log"))).not.toContain("Address already in use")

    // The master SIGKILLed: monit starts the job again once, and sipid run stops the old workers first.
    const back = /pool back after kill -9 in (\d+) s, (\d+) start\(s\); pool worker (\d+)/.exec(out)
    expect(back, out).not.toBeNull()
    // Two of monit's 1 s cycles, and what sipid and a loaded machine add to them.
    expect(Number(back?.[1])).toBeLessThanOrEqual(10)
    expect(back?.[2]).toBe("1")
    const oldWorkers = (/old workers were: (.*)/.exec(out)?.[1] ?? "").split(" ")
    expect(oldWorkers).toHaveLength(2)
    expect(oldWorkers).not.toContain(back?.[3])
    expect(out).not.toMatch(/old worker \d+ left/)
    expect(poolLog).toMatch(/pidfile is stale: process \d+ has exited; stopping what is left of its job/)
  })
})
