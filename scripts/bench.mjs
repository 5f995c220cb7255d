// Speed and memory of sipid against a baseline, side by side in one run.
// Each scenario runs both commands alternately (so machine noise hits both),
// then prints medians and the sipid/baseline ratios. Needs a prior build.
//
//   npm run bench [-- --runs 15]
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const runsFlag = process.argv.indexOf("--runs")
const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 15
const sipid = [process.execPath, fileURLToPath(new URL("../bin/sipid.js", import.meta.url))]
const gnuTime = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined
const dir = mkdtempSync(join(tmpdir(), "sipid-bench-"))
const pidfile = join(dir, "job.pid")

/** Runs argv once; returns wall milliseconds and max RSS in KiB (when GNU time exists). */
const measure = (argv) => {
  const command = gnuTime ? [gnuTime, "-f", "sipid-bench %M", ...argv] : argv
  const started = process.hrtime.bigint()
  const result = spawnSync(command[0], command.slice(1), { encoding: "utf8" })
  const millis = Number(process.hrtime.bigint() - started) / 1e6
  const rss = Number(/sipid-bench (\d+)/.exec(result.stderr ?? "")?.[1] ?? NaN)
  return { millis, rss, status: result.status }
}

// A sleeper whose parent subshell waits for it, so it is reaped the moment it
// dies, as under monit. (Left to this sandbox's init it would stay a zombie
// for a second or two, which start-stop-daemon, using kill(pid, 0), waits out.)
const startSleeperInto = (file) => {
  spawnSync("sh", ["-c", `(sleep 600 & echo $! > ${file}.tmp; mv ${file}.tmp ${file}; wait) >/dev/null 2>&1 &`])
  while (!existsSync(file)) spawnSync("sleep", ["0.01"])
}
const freshPidfile = (content) => {
  rmSync(pidfile, { force: true })
  rmSync(`${pidfile}.identity`, { force: true })
  if (content !== undefined) writeFileSync(pidfile, content)
}

// A healthy endpoint in its own process: spawnSync blocks this one's event loop.
const port = 20_000 + (process.pid % 20_000)
const server = spawn("python3", ["-m", "http.server", "--bind", "127.0.0.1", "--directory", dir, String(port)], { stdio: "ignore" })
const healthUrl = `http://127.0.0.1:${port}/`
while (spawnSync("curl", ["-sf", "-o", "/dev/null", healthUrl]).status !== 0) spawnSync("sleep", ["0.05"])

const scenarios = [
  {
    name: "start-up (--version vs node -e 0)",
    sipid: { run: () => [...sipid, "--version"] },
    baseline: { run: () => [process.execPath, "-e", "0"] }
  },
  {
    name: "claim (vs flock + echo, the shell idiom)",
    sipid: {
      setup: () => freshPidfile(),
      run: () => [...sipid, "claim", "--pid", String(process.pid), "--pid-file", pidfile]
    },
    baseline: {
      setup: () => freshPidfile(),
      run: () => ["flock", "-n", pidfile, "sh", "-c", `echo ${process.pid} > ${pidfile}`]
    }
  },
  {
    name: "status (vs kill -0 $(cat FILE))",
    sipid: { setup: () => freshPidfile(`${process.pid}\n`), run: () => [...sipid, "status", "--pid-file", pidfile] },
    baseline: { setup: () => freshPidfile(`${process.pid}\n`), run: () => ["sh", "-c", `kill -0 $(cat ${pidfile})`] }
  },
  {
    name: "kill a process that exits on TERM (vs start-stop-daemon --retry TERM/20/KILL/5)",
    sipid: {
      setup: () => (freshPidfile(), startSleeperInto(pidfile)),
      run: () => [...sipid, "kill", "--pid-file", pidfile]
    },
    baseline: {
      setup: () => (freshPidfile(), startSleeperInto(pidfile)),
      run: () => ["start-stop-daemon", "--stop", "--pidfile", pidfile, "--retry", "TERM/20/KILL/5", "--remove-pidfile", "--quiet"]
    }
  },
  {
    name: "wait-until-healthy on a healthy endpoint (vs curl -sf --retry 5)",
    sipid: { run: () => [...sipid, "wait-until-healthy", "--url", healthUrl, "--timeout", "10s"] },
    baseline: { run: () => ["curl", "-sf", "-o", "/dev/null", "--retry", "5", healthUrl] }
  }
]

const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)]
}
const fmt = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a")

console.log(`sipid vs baseline: median of ${runs} alternating runs each${gnuTime ? "" : " (no /usr/bin/time: memory not measured)"}\n`)
console.log(["scenario", "sipid ms", "baseline ms", "time ratio", "sipid KiB", "baseline KiB", "memory ratio"].join(" | "))
try {
  for (const scenario of scenarios) {
    const samples = { sipid: [], baseline: [] }
    for (let run = 0; run < runs; run++) {
      for (const side of ["sipid", "baseline"]) {
        scenario[side].setup?.()
        const sample = measure(scenario[side].run())
        if (sample.status !== 0) throw new Error(`${scenario.name}: ${side} exited ${sample.status}`)
        samples[side].push(sample)
      }
    }
    const time = (side) => median(samples[side].map((s) => s.millis))
    const rss = (side) => median(samples[side].map((s) => s.rss))
    console.log([
      scenario.name,
      fmt(time("sipid")),
      fmt(time("baseline")),
      `${fmt(time("sipid") / time("baseline"), 2)}x`,
      fmt(rss("sipid"), 0),
      fmt(rss("baseline"), 0),
      `${fmt(rss("sipid") / rss("baseline"), 2)}x`
    ].join(" | "))
  }
} finally {
  server.kill()
  rmSync(dir, { recursive: true, force: true })
}
