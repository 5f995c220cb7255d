// Speed and memory of sipid, side by side in one run: the npm bin
// (bin/sipid.js, needs `npm run build`) and the single executable (needs
// `npm run dist`), against `node -e 0` (the floor of any Node program) and the
// tool each command stands in for. Within a scenario every command runs once
// per round, in turn, so machine noise hits all of them alike; the table
// shows medians and ratios.
//
//   npm run bench [-- --runs 21]
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { version } from "./bundle.mjs"

const runsFlag = process.argv.indexOf("--runs")
const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 21
const repository = fileURLToPath(new URL("..", import.meta.url))
const executable = join(repository, "dist", `sipid-${version}-linux-x64`, "bin", "sipid")
const builds = [
  { name: "npm bin", argv: [process.execPath, join(repository, "bin", "sipid.js")] },
  ...(existsSync(executable) ? [{ name: "executable", argv: [executable] }] : [])
]
const gnuTime = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined
const dir = mkdtempSync(join(tmpdir(), "sipid-bench-"))
const pidfile = join(dir, "job.pid")

/** Runs argv once; returns wall milliseconds and peak RSS in KiB (when GNU time exists). */
const measure = (argv) => {
  const command = gnuTime ? [gnuTime, "-f", "sipid-bench %M", ...argv] : argv
  const started = process.hrtime.bigint()
  const result = spawnSync(command[0], command.slice(1), { encoding: "utf8" })
  const millis = Number(process.hrtime.bigint() - started) / 1e6
  const rss = Number(/sipid-bench (\d+)/.exec(result.stderr ?? "")?.[1] ?? NaN)
  return { millis, rss, status: result.status, stderr: result.stderr }
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

const floor = { name: "node -e 0", run: () => [process.execPath, "-e", "0"] }
/** Each scenario: how to prepare and run it with sipid, and the tool sipid stands in for. */
const scenarios = [
  {
    name: "claim",
    setup: () => freshPidfile(),
    sipid: () => ["claim", "--pid", String(process.pid), "--pid-file", pidfile],
    tool: { name: "flock + echo", run: () => ["flock", "-n", pidfile, "sh", "-c", `echo ${process.pid} > ${pidfile}`] }
  },
  {
    name: "kill (exits on TERM)",
    setup: () => (freshPidfile(), startSleeperInto(pidfile)),
    sipid: () => ["kill", "--pid-file", pidfile],
    tool: {
      name: "start-stop-daemon",
      run: () => ["start-stop-daemon", "--stop", "--pidfile", pidfile, "--retry", "TERM/20/KILL/5", "--remove-pidfile", "--quiet"]
    }
  },
  {
    name: "status",
    setup: () => freshPidfile(`${process.pid}\n`),
    sipid: () => ["status", "--pid-file", pidfile],
    tool: { name: "kill -0 $(cat FILE)", run: () => ["sh", "-c", `kill -0 $(cat ${pidfile})`] }
  },
  {
    name: "wait-until-healthy (healthy)",
    sipid: () => ["wait-until-healthy", "--url", healthUrl, "--timeout", "10s"],
    tool: { name: "curl -sf --retry 5", run: () => ["curl", "-sf", "-o", "/dev/null", "--retry", "5", healthUrl] }
  }
]

const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)]
}
const fmt = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a")

/** Medians per command of one scenario, all commands run in turn `runs` times. */
const runScenario = (scenario) => {
  const commands = [
    floor,
    ...builds.map((build) => ({ name: `sipid (${build.name})`, build: build.name, run: () => [...build.argv, ...scenario.sipid()] })),
    scenario.tool
  ]
  const samples = commands.map(() => [])
  for (let round = 0; round < runs; round++) {
    commands.forEach((command, index) => {
      if (command !== floor) scenario.setup?.()
      const sample = measure(command.run())
      if (sample.status !== 0) throw new Error(`${scenario.name}: ${command.name} exited ${sample.status}: ${sample.stderr}`)
      samples[index].push(sample)
    })
  }
  return commands.map((command, index) => ({
    ...command,
    millis: median(samples[index].map((s) => s.millis)),
    mib: median(samples[index].map((s) => s.rss)) / 1024
  }))
}

console.log(`Median of ${runs} rounds; in each round every command of a scenario runs once, in turn.`)
console.log(`${gnuTime ? "" : "No /usr/bin/time: memory not measured. "}${builds.length < 2 ? "No executable: run npm run dist first.\n" : ""}`)
console.log("| scenario | command | wall ms | x node -e 0 | x claim (same build) | peak RSS MiB |")
console.log("|---|---|---:|---:|---:|---:|")
const claimMillis = new Map()
try {
  for (const scenario of scenarios) {
    const results = runScenario(scenario)
    const nodeMillis = results[0].millis
    for (const result of results) {
      if (scenario.name === "claim" && result.build) claimMillis.set(result.build, result.millis / nodeMillis)
      // Ratios to claim compare ratios to node -e 0, so they hold across scenarios measured minutes apart.
      const perClaim = result.build ? result.millis / nodeMillis / claimMillis.get(result.build) : NaN
      console.log(`| ${scenario.name} | ${result.name} | ${fmt(result.millis)} | ${fmt(result.millis / nodeMillis, 2)} | ${result.build ? fmt(perClaim, 2) : ""} | ${fmt(result.mib)} |`)
    }
  }
} finally {
  server.kill()
  rmSync(dir, { recursive: true, force: true })
}
console.log("\nTargets: claim <= 1.3x node -e 0 and <= 60 MiB; kill <= 1.1x claim; wait-until-healthy <= 1.5x claim.")
