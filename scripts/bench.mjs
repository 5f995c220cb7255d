// Speed and memory of sipid, side by side in one run: the npm bin
// (bin/sipid.js under Node, needs `npm run build`) and the release executable
// (needs `npm run dist`; unpacked from this machine's tarball), against
// `node -e 0` (the floor of any Node program) and the tool each command
// stands in for. Within a scenario every command runs once per round, in
// turn, so machine noise hits all of them alike; the table shows medians and
// ratios, and a verdict line per target. Then 200 claims at once, each on a
// pidfile of its own: wall time, and the peak of their total memory (a
// memory cgroup's high-water mark, where the machine has one).
//
//   npm run bench [-- --runs 21]
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { version } from "./bundle.mjs"

const flag = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback)
const runs = flag("--runs", 21)
const concurrentClaims = flag("--concurrent", 200)
const repository = fileURLToPath(new URL("..", import.meta.url))
const dir = mkdtempSync(join(tmpdir(), "sipid-bench-"))
const arch = process.arch === "arm64" ? "arm64" : "x64"
const tarball = join(repository, "dist", `sipid-${version}-linux-${arch}.tar.xz`)

const unpackedExecutable = () => {
  if (!existsSync(tarball)) return undefined
  spawnSync("tar", ["-xJf", tarball, "-C", dir])
  return join(dir, `sipid-${version}-linux-${arch}`, "bin", "sipid")
}
const executable = unpackedExecutable()
const builds = [
  { name: "npm bin", argv: [process.execPath, join(repository, "bin", "sipid.js")] },
  ...(executable ? [{ name: "executable", argv: [executable] }] : [])
]
const gnuTime = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined
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
    name: "kill",
    label: "kill (exits on TERM)",
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
    name: "wait-until-healthy",
    label: "wait-until-healthy (healthy)",
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

/** A memory cgroup (v1 or v2) to run a group of processes in and read their peak total from, if this machine lets us make one. */
const memoryCgroup = () => {
  for (const [root, peak, limitFile] of [["/sys/fs/cgroup/memory", "memory.max_usage_in_bytes", "cgroup.procs"], ["/sys/fs/cgroup", "memory.peak", "cgroup.procs"]]) {
    try {
      const group = join(root, `sipid-bench-${process.pid}`)
      mkdirSync(group)
      if (!existsSync(join(group, peak))) {
        rmSync(group, { recursive: true })
        continue
      }
      return { group, peakBytes: () => Number(readFileSync(join(group, peak), "utf8")), procs: join(group, limitFile), remove: () => spawnSync("rmdir", [group]) }
    } catch {
      // not this one
    }
  }
  return undefined
}

/** `count` claims at once on pidfiles of their own, in a shell moved into the cgroup first: wall ms, and the peak of their total memory. */
const concurrent = (build, count) => {
  const claims = join(dir, `concurrent-${build.name.replace(" ", "-")}`)
  mkdirSync(claims)
  const cgroup = memoryCgroup()
  const sipid = build.argv.map((word) => `'${word}'`).join(" ")
  const script = `${cgroup ? `echo $$ > ${cgroup.procs}; ` : ""}for i in $(seq ${count}); do ${sipid} claim --pid $$ --pid-file ${claims}/$i.pid 2>/dev/null & done; wait`
  const started = process.hrtime.bigint()
  spawnSync("sh", ["-c", script])
  const millis = Number(process.hrtime.bigint() - started) / 1e6
  const mib = cgroup ? cgroup.peakBytes() / 2 ** 20 : NaN
  cgroup?.remove()
  const claimed = Array.from({ length: count }, (_, i) => existsSync(join(claims, `${i + 1}.pid`))).filter(Boolean).length
  return { millis, mib, claimed }
}

const machine = `${new Date().toISOString().slice(0, 10)}, ${cpus().length}-core ${process.arch} (${cpus()[0]?.model.trim()}), Node ${process.versions.node}, load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`
console.log(`${machine}. Median of ${runs} rounds; in each round every command of a scenario runs once, in turn.`)
console.log(`${gnuTime ? "" : "No /usr/bin/time: memory not measured. "}${executable ? "" : "No executable: run npm run dist first.\n"}`)
console.log("| scenario | command | wall ms | x node -e 0 | x claim (same build) | peak RSS MiB |")
console.log("|---|---|---:|---:|---:|---:|")
/** Ratio to node -e 0 and peak RSS, by scenario and build, for the verdicts. */
const figures = new Map()
const figure = (scenario, build) => figures.get(`${scenario}/${build}`) ?? { ratio: NaN, mib: NaN }
const verdicts = []
try {
  for (const scenario of scenarios) {
    const results = runScenario(scenario)
    const nodeMillis = results[0].millis
    for (const result of results) {
      const ratio = result.millis / nodeMillis
      if (result.build) figures.set(`${scenario.name}/${result.build}`, { ratio, mib: result.mib })
      // Ratios to claim compare ratios to node -e 0, so they hold across scenarios measured minutes apart.
      const perClaim = result.build ? ratio / figure("claim", result.build).ratio : NaN
      console.log(`| ${scenario.label ?? scenario.name} | ${result.name} | ${fmt(result.millis)} | ${fmt(ratio, 2)} | ${result.build ? fmt(perClaim, 2) : ""} | ${fmt(result.mib)} |`)
    }
  }
  console.log(`\n${concurrentClaims} claims at once, each on a pidfile of its own (peak total memory: a memory cgroup's high-water mark):`)
  for (const build of builds) {
    const { claimed, mib, millis } = concurrent(build, concurrentClaims)
    figures.set(`concurrent/${build.name}`, { millis, mib })
    console.log(`- ${build.name}: ${fmt(millis / 1000, 2)} s wall, ${fmt(mib, 0)} MiB at peak, ${claimed} of ${concurrentClaims} pidfiles written`)
  }
} finally {
  server.kill()
  rmSync(dir, { recursive: true, force: true })
}

const verdict = (what, value, target, stretch) =>
  verdicts.push(`${Number.isFinite(value) ? (value <= target ? "MET " : "MISSED") : "NOT MEASURED"} ${what}: ${fmt(value, 2)} (target <= ${target}${stretch === undefined ? "" : `, stretch ${stretch}`})`)
const exe = "executable"
verdict("claim, executable, x node -e 0", figure("claim", exe).ratio, 1.0, 0.8)
verdict("claim, executable, peak RSS MiB", figure("claim", exe).mib, 50, 40)
verdict("kill, executable, x claim", figure("kill", exe).ratio / figure("claim", exe).ratio, 1.1)
verdict("status, executable, x claim", figure("status", exe).ratio / figure("claim", exe).ratio, 1.0)
verdict("wait-until-healthy, executable, x claim", figure("wait-until-healthy", exe).ratio / figure("claim", exe).ratio, 1.3)
verdict("claim, npm bin, x node -e 0", figure("claim", "npm bin").ratio, 2.0)
// The Go original's figures on the machine the issue measured them on: 2.9 s and 25 MB for 200 claims.
verdict(`${concurrentClaims} concurrent claims, executable, wall x Go's 2.9 s`, (figures.get(`concurrent/${exe}`)?.millis ?? NaN) / 2900, 10)
verdict(`${concurrentClaims} concurrent claims, executable, memory x Go's 25 MB`, (figures.get(`concurrent/${exe}`)?.mib ?? NaN) * 2 ** 20 / 25e6, 10)
console.log(`\nVerdicts:\n${verdicts.join("\n")}`)
