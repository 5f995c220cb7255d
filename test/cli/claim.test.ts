import { spawn } from "node:child_process"
import { once } from "node:events"
import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { runInPidNamespace, runSipid, runSipidFailing, strace } from "../support/cli.js"
import { kill, startLockHolder, startSleeper, stop, stopAll } from "../support/processes.js"

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sipid-claim-"))
})
afterEach(async () => {
  await stopAll()
  rmSync(dir, { recursive: true, force: true })
})

const claim = (pid: number | string, pidfile: string, ...extra: Array<string>) =>
  runSipid(["claim", "--pid", String(pid), "--pid-file", pidfile, ...extra])

describe("sipid claim", () => {
  it("creates the directories, writes PID and newline, mode 0644, and records the identity beside it", async () => {
    const pid = startSleeper()
    const pidfile = join(dir, "run", "job", "job.pid")
    const result = await claim(pid, pidfile)
    expect(result).toMatchObject({ code: 0, stdout: "" })
    expect(readFileSync(pidfile, "utf8")).toBe(`${pid}\n`)
    expect(lstatSync(pidfile).mode & 0o777).toBe(0o644)
    const record = JSON.parse(readFileSync(`${pidfile}.identity`, "utf8"))
    expect(record).toMatchObject({ pid, startTicks: expect.any(Number), bootId: expect.any(String) })
    expect(result.stderr).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z INFO +sipid claim .*job\.pid: claimed for process \d+$/m)
  })

  it("is idempotent for the PID that already owns the pidfile", async () => {
    const pid = startSleeper()
    const pidfile = join(dir, "job.pid")
    await claim(pid, pidfile)
    const inode = lstatSync(pidfile).ino
    const again = await claim(pid, pidfile)
    expect(again.code).toBe(0)
    expect(again.stderr).toContain("nothing to do")
    expect(lstatSync(pidfile).ino).toBe(inode)
  })

  it("records the identity of the PID a pidfile from another tool already names, leaving the pidfile as it was", async () => {
    const pid = startSleeper()
    const pidfile = join(dir, "job.pid")
    writeFileSync(pidfile, `${pid}\n`)
    const inode = lstatSync(pidfile).ino
    const result = await claim(pid, pidfile)
    expect(result.code).toBe(0)
    expect(result.stderr).toContain(`already claimed by process ${pid}; recorded its identity, which was missing`)
    expect(lstatSync(pidfile).ino).toBe(inode)
    expect(JSON.parse(readFileSync(`${pidfile}.identity`, "utf8"))).toMatchObject({ pid, startTicks: expect.any(Number), bootId: expect.any(String) })
  })

  it("refuses while another live process owns the pidfile, naming the PID and the file", async () => {
    const owner = startSleeper()
    const pidfile = join(dir, "job.pid")
    await claim(owner, pidfile)
    const result = await claim(startSleeper(), pidfile)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`${pidfile}: already names live process ${owner}`)
    expect(result.stderr.trim().split("\n")).toHaveLength(1)
    expect(readFileSync(pidfile, "utf8")).toBe(`${owner}\n`)
  })

  it("replaces a pidfile whose process has exited, and says it was stale", async () => {
    const gone = startSleeper()
    const pidfile = join(dir, "job.pid")
    await claim(gone, pidfile)
    await stop(gone)
    const pid = startSleeper()
    const result = await claim(pid, pidfile)
    expect(result.code).toBe(0)
    expect(result.stderr).toContain(`pidfile is stale: process ${gone} has exited`)
    expect(readFileSync(pidfile, "utf8")).toBe(`${pid}\n`)
  })

  it.each(["", "garbage\n", "0\n", "-1\n", "1\n", "99999998 34\n", "99999999999\n"])("treats content %j as stale", async (content) => {
    const pidfile = join(dir, "job.pid")
    writeFileSync(pidfile, content)
    const pid = startSleeper()
    const result = await claim(pid, pidfile)
    expect(result.code).toBe(0)
    expect(readFileSync(pidfile, "utf8")).toBe(`${pid}\n`)
  })

  it.each(["abc", "0", "1", "-5", "99999999999", "", " 5", "05", "5\n", "0x10"])(
    "refuses --pid %j as a usage error and writes nothing",
    async (value) => {
      const pidfile = join(dir, "sub", "job.pid")
      const result = await claim(value, pidfile)
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("--pid")
      expect(result.stderr).not.toMatch(/\n\s+at /)
      expect(() => lstatSync(join(dir, "sub"))).toThrow()
    }
  )

  it("refuses kthreadd (PID 2 outside a PID namespace), a kernel thread, as a usage error and writes nothing", async () => {
    expect(readFileSync("/proc/2/stat", "utf8")).toMatch(/^2 \(kthreadd\)/)
    const pidfile = join(dir, "sub", "job.pid")
    const result = await claim(2, pidfile)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("PID 2 is a kernel thread (kthreadd), never a job's process")
    expect(() => lstatSync(join(dir, "sub"))).toThrow()
  })

  it("refuses a PID that is not running", async () => {
    const pid = startSleeper()
    await stop(pid)
    const result = await claim(pid, join(dir, "job.pid"))
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`PID ${pid} is not a running process`)
  })

  it("fails at once with exit 3 while flock(1) holds the pidfile, and succeeds after", async () => {
    const pidfile = join(dir, "job.pid")
    writeFileSync(pidfile, "")
    // -o: only flock(1) itself holds the lock; it lets go when cat sees end of input.
    const holder = spawn("flock", ["-n", "-o", pidfile, "-c", "echo locked; exec cat"], { stdio: ["pipe", "pipe", "inherit"] })
    await once(holder.stdout, "data")
    const result = await claim(startSleeper(), pidfile)
    holder.stdin.end()
    await once(holder, "exit")
    expect(result.code).toBe(3)
    expect(result.stderr).toContain("locked by another process")
    expect(readFileSync(pidfile, "utf8")).toBe("")
    expect((await claim(startSleeper(), pidfile)).code).toBe(0)
  })

  it("is not blocked by a lock holder that was killed with SIGKILL", async () => {
    const pidfile = join(dir, "job.pid")
    const holder = await startLockHolder(pidfile)
    expect((await claim(startSleeper(), pidfile)).code).toBe(3)
    await kill(holder)
    expect((await claim(startSleeper(), pidfile)).code).toBe(0)
  })

  it("lets exactly one of 16 concurrent claims win, and the pidfile names the winner", async () => {
    const pidfile = join(dir, "job.pid")
    const pids = Array.from({ length: 16 }, startSleeper)
    const results = await Promise.all(pids.map((pid) => claim(pid, pidfile)))
    const winners = pids.filter((_, index) => results[index]!.code === 0)
    expect(winners).toHaveLength(1)
    expect(results.every((result) => [0, 1, 3].includes(result.code))).toBe(true)
    expect(readFileSync(pidfile, "utf8")).toBe(`${winners[0]}\n`)
  })

  it("never shows a reader that does not lock an empty or partial pidfile, on a first claim or a takeover", async () => {
    const pidfile = join(dir, "job.pid")
    const reader = spawn("python3", [fileURLToPath(new URL("../support/pidfile-reader.py", import.meta.url)), pidfile], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    const readerExit = once(reader, "exit")
    let output = ""
    reader.stdout.on("data", (chunk) => (output += chunk))
    for (let round = 0; round < 10; round++) {
      // Even rounds: the first claim of a missing pidfile; odd rounds: a takeover of a stale one.
      if (round % 2 === 0) expect((await runSipid(["kill", "--pid-file", pidfile])).code).toBe(0)
      else await stop(Number(readFileSync(pidfile, "utf8")))
      expect((await claim(startSleeper(), pidfile)).code).toBe(0)
    }
    writeFileSync(`${pidfile}.stop`, "stop")
    await readerExit
    const [reads, bad] = output.trim().split(" ").map(Number)
    expect(reads).toBeGreaterThan(2000)
    expect(bad).toBe(0)
  }, 180_000)

  it("removes temporary files that interrupted claims left, and keeps one a live claim holds", async () => {
    const pidfile = join(dir, "job.pid")
    await claim(startSleeper(), pidfile)
    const abandoned = [`.job.pid.${"a".repeat(12)}.tmp`, `.job.pid.identity.${"b".repeat(12)}.tmp`]
    for (const name of abandoned) writeFileSync(join(dir, name), "")
    // Killed between link(2) and unlink(2): a second name of the pidfile itself.
    linkSync(pidfile, join(dir, `.job.pid.${"c".repeat(12)}.tmp`))
    const alive = join(dir, `.job.pid.${"d".repeat(12)}.tmp`)
    writeFileSync(alive, "")
    const holder = await startLockHolder(alive)
    await stop(Number(readFileSync(pidfile, "utf8")))
    const result = await claim(startSleeper(), pidfile)
    expect(result.code).toBe(0)
    expect(result.stderr).toContain("removed temporary files left by interrupted runs")
    expect(readdirSync(dir).sort()).toEqual([`.job.pid.${"d".repeat(12)}.tmp`, "job.pid", "job.pid.identity"])
    await kill(holder)
  })

  it("leaves neither an empty pidfile nor a temporary when SIGKILLed at any moment", async () => {
    const result = await runInPidNamespace(String.raw`
      sleep 1000 & C=$!
      for i in $(seq 0 39); do
        timeout -s KILL 0.$(( 100 + i * 13 % 60 * 10 ))s $SIPID claim --pid $C --pid-file $D/job.pid 2>/dev/null || true
        if [ -e $D/job.pid ] && [ "$(cat $D/job.pid)" != "$C" ]; then echo "bad content at round $i"; fi
        # Every other round starts from a missing pidfile, where the first claim creates it.
        if [ $((i % 2)) = 0 ]; then rm -f $D/job.pid; fi
      done
      $SIPID claim --pid $C --pid-file $D/job.pid 2>/dev/null; echo "claim=$?"
      ls -A $D
    `)
    expect(result.stdout).not.toContain("bad content")
    expect(result.stdout).toContain("claim=0")
    expect(result.stdout.split("\n").filter((line) => line.endsWith(".tmp"))).toEqual([])
  }, 60_000)

  it("on a full disk (ENOSPC, for the pidfile or its record) or a read-only file system (EROFS), exits 5 and leaves no pidfile at all", async () => {
    const result = await runInPidNamespace(String.raw`
      mkdir $D/full $D/half $D/ro
      mount -t tmpfs -o size=4k tmpfs $D/full
      head -c 4096 /dev/zero > $D/full/filler 2>/dev/null || true
      # Room for the pidfile's page, not for the identity record's.
      mount -t tmpfs -o size=8k tmpfs $D/half
      head -c 4096 /dev/zero > $D/half/filler
      mount --bind $D/ro $D/ro; mount -o remount,bind,ro $D/ro
      sleep 1000 & C=$!
      claim() { code=0; $SIPID claim --pid $C --pid-file $2 || code=$?; echo "$1=$code"; }
      claim full $D/full/job.pid
      ls -A $D/full
      claim half $D/half/job.pid
      ls -A $D/half
      claim ro $D/ro/job.pid
      claim "ro mkdir" $D/ro/run/job.pid
      ls -A $D/ro
      echo end
    `)
    expect(result.stdout).toContain("full=5")
    expect(result.stdout).toContain("ro=5")
    expect(result.stdout).toContain("ro mkdir=5")
    expect(result.stdout).toMatch(/ro mkdir=5\nend/)
    expect(result.stdout).toMatch(/full=5\nfiller\n/)
    expect(result.stdout).toMatch(/half=5\nfiller\n/)
    expect(result.stderr).toContain("ENOSPC")
    expect(result.stderr).toMatch(/\/ro\/run: create directory failed: EROFS/)
  })

  it("in a directory it may write but not read (mode 0300) claims a stale pidfile, and a missing one, warning that the directory was not fsynced", async () => {
    // Root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH is held to the mode bits like any
    // owner, and still reads the checkout wherever it lies.
    const result = await runInPidNamespace(String.raw`
      mkdir -m 0300 $D/run
      echo 99999 > $D/run/job.pid
      sleep 1000 & C=$!
      claim() { code=0; setpriv --bounding-set=-dac_override,-dac_read_search $SIPID claim --pid $C --pid-file $D/run/job.pid || code=$?; echo "$1=$code"; }
      claim takeover
      [ "$(cat $D/run/job.pid)" = $C ] && grep -q "\"pid\":$C," $D/run/job.pid.identity && echo "claimed for $C"
      rm $D/run/job.pid $D/run/job.pid.identity
      claim first
      [ "$(cat $D/run/job.pid)" = $C ] && echo "created for $C"
    `)
    expect(result.stdout).toContain("takeover=0")
    expect(result.stdout).toContain("claimed for")
    expect(result.stdout).toContain("first=0")
    expect(result.stdout).toContain("created for")
    expect(result.stderr).toMatch(/WARN +sipid claim \S+\/run\/job\.pid: \S+\/run: not fsynced, as it may not be read \(EACCES\): the change is made/)
  })

  // EOPNOTSUPP is the errno that Node names ENOTSUP.
  it.for([["EPERM", "EPERM"], ["EOPNOTSUPP", "ENOTSUP"]] as const)("where link(2) fails with %s (vfat, FUSE: no hard links) creates the pidfile in place, and says so", async ([errno, named], context) => {
    if (strace === undefined) {
      console.warn("skipped: strace is not installed, and it is what makes link(2) fail here")
      return context.skip()
    }
    const pid = startSleeper()
    const pidfile = join(dir, "run", "job.pid")
    const result = await runSipidFailing("link,linkat", errno, ["claim", "--pid", String(pid), "--pid-file", pidfile])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain(`the file system refuses hard links (link: ${named}); creating the pidfile in place (O_EXCL), so a reader may see it empty`)
    expect(readFileSync(pidfile, "utf8")).toBe(`${pid}\n`)
    expect(readdirSync(join(dir, "run")).sort()).toEqual(["job.pid", "job.pid.identity"])
  })

  it("refuses a symlink at the path and never touches its target", async () => {
    const target = join(dir, "precious")
    writeFileSync(target, "keep me\n")
    chmodSync(target, 0o600)
    const pidfile = join(dir, "job.pid")
    symlinkSync(target, pidfile)
    const result = await claim(startSleeper(), pidfile)
    expect(result.code).toBe(4)
    expect(result.stderr).toContain(`${pidfile}: is a symbolic link`)
    expect(readlinkSync(pidfile)).toBe(target)
    expect(readFileSync(target, "utf8")).toBe("keep me\n")
    expect(lstatSync(target).mode & 0o777).toBe(0o600)
  })

  it("refuses a directory at the path", async () => {
    const pidfile = join(dir, "job.pid")
    mkdirSync(pidfile)
    const result = await claim(startSleeper(), pidfile)
    expect(result.code).toBe(4)
    expect(result.stderr).toContain("is a directory")
  })

  it("reports a system error with exit 5 when the directory cannot be created", async () => {
    writeFileSync(join(dir, "file"), "")
    const result = await claim(startSleeper(), join(dir, "file", "job.pid"))
    expect(result.code).toBe(5)
    expect(result.stderr.trim().split("\n")).toHaveLength(1)
    expect(result.stderr).toContain(join(dir, "file"))
  })

  it("logs JSON lines with --log-format json", async () => {
    const pid = startSleeper()
    const pidfile = join(dir, "job.pid")
    const result = await claim(pid, pidfile, "--log-format", "json")
    const lines = result.stderr.trim().split("\n").map((line) => JSON.parse(line))
    expect(lines.at(-1)).toEqual({
      timestamp: expect.stringMatching(/Z$/),
      level: "info",
      message: `claimed for process ${pid}`,
      command: "claim",
      pid,
      pidfile
    })
  })
})

describe("sipid claim where /proc hides other users' processes", () => {
  it("never takes a hidden live process for a gone one (exit 5, pidfile kept)", async () => {
    // Own mount namespace: the hidepid remount touches only the namespace's /proc.
    const result = await runInPidNamespace(String.raw`
      mount -o remount,hidepid=2 /proc
      chmod 777 $D
      sleep 1000 & ROOT=$!
      echo $ROOT > $D/job.pid; chown nobody $D/job.pid
      # Reading the checkout (wherever it lies) needs CAP_DAC_READ_SEARCH; hidepid checks
      # ptrace access, which that capability does not grant.
      setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=+dac_read_search --ambient-caps=+dac_read_search bash -c "sleep 1000 & $SIPID claim --pid \$! --pid-file $D/job.pid; echo claim=\$?"
      [ "$(cat $D/job.pid)" = $ROOT ] && echo "pidfile kept"
    `)
    expect(result.stdout).toContain("claim=5")
    expect(result.stdout).toContain("pidfile kept")
    expect(result.stderr).toContain("is hidden (/proc mounted with hidepid?)")
  })
})

describe("the sipid command line", () => {
  it("prints the version", async () => {
    const result = await runSipid(["--version"])
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toBe(JSON.parse(readFileSync("package.json", "utf8")).version)
  })

  it("describes every command and option in --help", async () => {
    const result = await runSipid(["claim", "--help"])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("usage: sipid claim --pid PID --pid-file FILE")
    expect(result.stdout).not.toContain("\u001b[") // not a terminal: no colours
    expect(result.stdout).toContain("--pid-file")
    expect(result.stdout).toContain("--log-format")
  })

  it("does not hang on --wizard without a terminal", async () => {
    const result = await runSipid(["--wizard"])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("interactive terminal")
  })

  it("rejects an unknown command as a usage error", async () => {
    expect((await runSipid(["frobnicate"])).code).toBe(2)
  })
})
