// The CPU `sipid kill --tree` spends waiting out a 20 s grace with a 50-process
// job (a python master and 49 workers, all ignoring SIGTERM, so the schedule
// runs to SIGKILL at 20 s), inside a PID namespace of its own. Measured between
// 5 s and 19 s after sipid started, so start-up, the first look at the job and the
// final SIGKILL are left out: what is left is the waiting, scaled to 20 s.
// Beside it, the same kill without --tree (the single-process wait).
//
// "busy" adds a neighbour outside the job that starts 20 processes a second,
// as cron, monit and agents do on a VM: then the newest PID changes before
// every look, and each look walks the whole job (the worst case).
//
//   npm run build && npm run bench:tree [-- --runs 3] [-- --executable DIR/bin/sipid]
//
// The npm bin by default; --executable measures the release executable
// (bin/sipid of an unpacked tarball) instead.
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const runsFlag = process.argv.indexOf("--runs")
const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 1
const executableFlag = process.argv.indexOf("--executable")
/** The command line that runs sipid, as the scripts below write it. */
const sipid = executableFlag > 0
  ? `"${process.argv[executableFlag + 1]}"`
  : `"${process.execPath}" ${fileURLToPath(new URL("../bin/sipid.js", import.meta.url))}`

/**
 * sipid's CPU from 5 s to 19 s after $S started, into FROM and TO. Only shell
 * builtins: a forked sed or sleep would be a new process, and each new
 * process makes --tree walk the job again (the busy row does that on purpose).
 */
const measure = String.raw`
mkfifo $D/never; exec 3<>$D/never
pause() { read -t $1 <&3 || true; }
# CPU time in ns summed over its threads: schedstat's first field counts
# exactly, where stat's utime and stime are sampled in 10 ms ticks.
cpu() { local f a rest; T=0; for f in /proc/$S/task/*/schedstat; do read -r a rest < $f; T=$((T + a)); done; }
pause 5; cpu; FROM=$T; pause 14; cpu; TO=$T
`

/**
 * The reference: sipid doing nothing for as long, measured the same way (a
 * wait-until-healthy that fails its first probe and then pauses 30 s), so
 * Node's own idle work after start-up can be told apart from the waiting.
 */
const idle = String.raw`
D=$(mktemp -d)
${sipid} wait-until-healthy --url http://127.0.0.1:9/ --polling-frequency 30s --timeout 25s 2>/dev/null & S=$!
${measure}
kill $S
echo "ns $((TO - FROM))"
rm -rf $D
`

/** One job, one kill, in a fresh PID namespace; prints "ns N" (sipid's CPU from 5 s to 19 s). */
const scenario = ({ neighbour, tree, workers = 49 }) => String.raw`
set -euo pipefail
D=$(mktemp -d); P=$D/job.pid
${neighbour ? "(while true; do /bin/true; sleep 0.05; done) &" : ""}
setsid python3 -c "
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
for _ in range(${workers}):
    if os.fork() == 0:
        time.sleep(1000); os._exit(0)
open('$D/ready', 'w').write(str(os.getpid()))
time.sleep(1000)" &
until [ -s $D/ready ]; do sleep 0.01; done
${sipid} claim --pid $(cat $D/ready) --pid-file $P 2>/dev/null
${sipid} kill --pid-file $P ${tree ? "--tree" : ""} 2>$D/log & S=$!
${measure}
wait $S
${tree ? `grep -q 'found ${workers} process' $D/log || { echo 'job not found'; cat $D/log; exit 1; }` : ""}
echo "ns $((TO - FROM))"
rm -rf $D
`

/** sipid's CPU milliseconds for 20 s of waiting. */
const cpuOf = (options) => {
  const script = options.idle ? idle : scenario(options)
  const result = spawnSync("unshare", ["--pid", "--fork", "--mount-proc", "bash", "-c", script], { encoding: "utf8" })
  const match = /ns (\d+)/.exec(result.stdout)
  if (match === null) throw new Error(`no measurement: ${result.stdout}${result.stderr}`)
  return (Number(match[1]) / 1e6 * 20) / 14
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

const rows = [
  { name: "reference: sipid idle (wait-until-healthy between probes)", options: { idle: true } },
  { name: "kill", options: { tree: false } },
  { name: "kill --tree", options: { tree: true } },
  { name: "kill --tree, a job of one process", options: { tree: true, workers: 0 } },
  { name: "kill --tree, busy neighbour", options: { tree: true, neighbour: true } }
]
console.log(`| 50-process job unless said, 20 s grace (${runs} run(s), median) | sipid CPU ms while waiting |`)
console.log("|---|---:|")
for (const row of rows) {
  const cpu = median(Array.from({ length: runs }, () => cpuOf(row.options)))
  console.log(`| ${row.name} | ${cpu.toFixed(0)} |`)
}
