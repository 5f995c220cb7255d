/**
 * What `sipid run` reads before it claims: the job's environment (with the
 * release launcher's changes undone), its account, its settings, and its
 * command's file.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { lookUpAccount, parseAccountSpec } from "../../src/run/accounts.js"
import { resolveCommand } from "../../src/run/command.js"
import { callersEnvironment, cwdDeletedSetting, hiddenMark, jobEnvironment, runtimeSettings } from "../../src/run/environment.js"
import { ignoredSignals } from "../../src/run/exec.js"
import { parseLimit, parseNice, parseUmask, parseVariable, rlimInfinity } from "../../src/run/settings.js"

describe("the job's environment", () => {
  const launcher = readFileSync(new URL("../../src/launcher/launcher.c", import.meta.url), "utf8")
  /** The C string literals of the array `name` in launcher.c. */
  const cStrings = (name: string) => [...(new RegExp(`${name}\\[\\] = \\{([^}]*)\\}`).exec(launcher)?.[1] ?? "").matchAll(/"([^"]*)"/g)].map(([, text]) => text)

  it("takes off what launcher.c adds and hides: the same settings, the same mark", () => {
    expect(cStrings("runtime_settings")).toEqual(runtimeSettings)
    expect(/hidden_mark\[\] = "([^"]*)"/.exec(launcher)?.[1]).toBe(hiddenMark)
    // A caller's own SIPID_HIDDEN_ name is hidden once more, so taking one mark off restores it.
    expect(cStrings("hidden_prefixes")).toContain(hiddenMark)
    // Only the launcher says the working directory was deleted; a caller's own is hidden and given back.
    expect(/cwd_deleted\[\] = "([^"]*)"/.exec(launcher)?.[1]).toBe(cwdDeletedSetting)
    expect(cStrings("hidden_prefixes")).toContain(cwdDeletedSetting.replace(/1$/, ""))
  })

  it("behind the launcher: its settings removed, hidden names restored (one mark each), the status channel dropped", () => {
    const given = {
      PATH: "/bin",
      SIPID_HIDDEN_BUN_OPTIONS: "--smol",
      SIPID_HIDDEN_LD_PRELOAD: "/lib/x.so",
      SIPID_HIDDEN_BUN_JSC_useConcurrentJIT: "1",
      SIPID_HIDDEN_SIPID_HIDDEN_X: "mine",
      SIPID_HIDDEN_SIPID_CWD_DELETED: "yes",
      SIPID_CWD_DELETED: "1",
      ...Object.fromEntries(runtimeSettings.map((setting) => setting.split("="))),
      SIPID_RUN_STATUS_FD: "3"
    }
    expect(callersEnvironment(given, true)).toEqual({
      PATH: "/bin",
      BUN_OPTIONS: "--smol",
      LD_PRELOAD: "/lib/x.so",
      BUN_JSC_useConcurrentJIT: "1",
      SIPID_HIDDEN_X: "mine",
      SIPID_CWD_DELETED: "yes"
    })
  })

  it("under the npm bin: as given, but the status channel", () => {
    expect(callersEnvironment({ SIPID_HIDDEN_X: "1", BUN_JSC_useConcurrentJIT: "0", SIPID_RUN_STATUS_FD: "3" }, false)).toEqual({
      SIPID_HIDDEN_X: "1",
      BUN_JSC_useConcurrentJIT: "0"
    })
  })

  it("--clear-env, then the user's HOME, USER and LOGNAME, then --env", () => {
    const callers = { PATH: "/bin", HOME: "/root", TERM: "dumb" }
    const user = { name: "vcap", home: "/home/vcap" }
    expect(jobEnvironment({ callers, clear: false, user, set: [["TERM", "xterm"]] })).toEqual({
      PATH: "/bin",
      HOME: "/home/vcap",
      TERM: "xterm",
      USER: "vcap",
      LOGNAME: "vcap"
    })
    expect(jobEnvironment({ callers, clear: true, user: undefined, set: [["HOME", "/srv"]] })).toEqual({ HOME: "/srv" })
  })
})

describe("--user's account, from /etc/passwd and /etc/group", () => {
  const passwd = "root:x:0:0:root:/root:/bin/bash\n# a comment\nvcap:x:1000:1000::/home/vcap:/bin/sh\n"
  const group = "root:x:0:\nvcap:x:1000:\nadm:x:4:syslog,vcap\nsudo:x:27:other\nwww:x:33:vcap\n"

  it("gives the primary group first, then every group that lists the user (as initgroups does)", () => {
    expect(lookUpAccount({ user: "vcap" }, passwd, group)).toEqual(Either.right({ name: "vcap", uid: 1000, gid: 1000, groups: [1000, 4, 33], home: "/home/vcap" }))
  })

  it("GROUP replaces the primary group; names or numbers", () => {
    expect(lookUpAccount({ user: "1000", group: "www" }, passwd, group)).toEqual(Either.right({ name: "vcap", uid: 1000, gid: 33, groups: [33, 4], home: "/home/vcap" }))
    expect(Either.map(lookUpAccount({ user: "vcap", group: "27" }, passwd, group), ({ gid }) => gid)).toEqual(Either.right(27))
  })

  it("an unknown user or group is refused, naming it", () => {
    expect(Either.getLeft(lookUpAccount({ user: "web" }, passwd, group))).toMatchObject({ _tag: "Some", value: { kind: "user", name: "web" } })
    expect(Either.getLeft(lookUpAccount({ user: "vcap", group: "wheel" }, passwd, group))).toMatchObject({ _tag: "Some", value: { kind: "group", name: "wheel" } })
  })

  it("an id the kernel would wrap or read as 'unchanged' is no account: never root by accident", () => {
    const wide = "wide:x:4294967296:1000::/:/bin/sh\nkeep:x:4294967295:1000::/:/bin/sh\nbig:x:1000:8589934593::/:/bin/sh\n"
    const groups = "wrap:x:4294967296:vcap\n"
    for (const user of ["wide", "keep", "big"]) expect(Either.isLeft(lookUpAccount({ user }, wide, groups)), user).toBe(true)
    expect(Either.isLeft(lookUpAccount({ user: "vcap", group: "wrap" }, passwd, groups))).toBe(true)
    // As a supplementary group it is left out, not wrapped onto group 0.
    expect(Either.map(lookUpAccount({ user: "vcap" }, passwd, groups), ({ groups }) => groups)).toEqual(Either.right([1000]))
  })

  it.each(["vcap", "vcap:vcap", "1000:33"])("%s is an account", (text) => expect(Either.isRight(parseAccountSpec(text))).toBe(true))
  it.each(["", ":vcap", "vcap:", "a:b:c", "vcap -x", "-x"])("%j is not", (text) => expect(Either.isLeft(parseAccountSpec(text))).toBe(true))
})

describe("run's settings", () => {
  it("--limit: one value sets both limits; unlimited; names as prlimit's", () => {
    expect(parseLimit("nofile=4096")).toEqual(Either.right({ name: "nofile", resource: 7, soft: 4096n, hard: 4096n }))
    expect(parseLimit("core=0:unlimited")).toEqual(Either.right({ name: "core", resource: 4, soft: 0n, hard: rlimInfinity }))
    expect(parseLimit("as=infinity")).toEqual(Either.right({ name: "as", resource: 9, soft: rlimInfinity, hard: rlimInfinity }))
    for (const wrong of ["files=10", "nofile", "nofile=", "nofile=-1", "nofile=1:2:3", "nofile=1024=4096", "nofile=10:5", "nofile=01", "nofile=1k"]) {
      expect(Either.isLeft(parseLimit(wrong)), wrong).toBe(true)
    }
  })

  it("--umask, --nice, --env", () => {
    expect(parseUmask("027")).toEqual(Either.right(0o27))
    expect(parseUmask("0022")).toEqual(Either.right(0o22))
    expect(Either.isLeft(parseUmask("8"))).toBe(true)
    expect(Either.isLeft(parseUmask("00022"))).toBe(true)
    expect(parseNice("-20")).toEqual(Either.right(-20))
    expect(parseNice("19")).toEqual(Either.right(19))
    expect(Either.isLeft(parseNice("20"))).toBe(true)
    expect(Either.isLeft(parseNice("+1"))).toBe(true)
    expect(parseVariable("A_1=x=y")).toEqual(Either.right(["A_1", "x=y"]))
    expect(parseVariable("EMPTY=")).toEqual(Either.right(["EMPTY", ""]))
    for (const wrong of ["=x", "1A=x", "A-B=x", "NOVALUE"]) expect(Either.isLeft(parseVariable(wrong)), wrong).toBe(true)
  })

  it("reads which signals are ignored from /proc/PID/status", () => {
    // SIGPIPE (13) and SIGXFSZ (25), as Node leaves them; SIGKILL and SIGSTOP never count.
    expect(ignoredSignals("SigBlk:\t0000000000000000\nSigIgn:\t0000000001001000\n")).toEqual([13, 25])
    expect(ignoredSignals("SigIgn:\t0000000000040100\n")).toEqual([])
  })
})

describe("COMMAND's file", () => {
  const root = mkdtempSync(join(tmpdir(), "sipid-command-"))
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  const file = (path: string, mode: number) => {
    mkdirSync(join(root, path, ".."), { recursive: true })
    writeFileSync(join(root, path), "#!/bin/sh\n")
    chmodSync(join(root, path), mode)
    return join(root, path)
  }
  const vcap = { uid: 1000, groups: [1000] }

  it("a name is looked for along the PATH, relative entries from the job's directory; the first executable one wins", () => {
    file("a/job", 0o644)
    const runnable = file("b/job", 0o755)
    expect(resolveCommand("job", { searchPath: `a:${root}/b`, cwd: root, runner: vcap })).toEqual(Either.right(runnable))
  })

  it("a path is taken as it is, from the job's directory", () => {
    const runnable = file("bin/web", 0o755)
    expect(resolveCommand("bin/web", { searchPath: undefined, cwd: root, runner: vcap })).toEqual(Either.right(runnable))
  })

  it("found but not executable for the user: refused with the mode (126), unless a later directory has one", () => {
    const owners = file("c/only-owner", 0o700)
    expect(Either.getLeft(resolveCommand("only-owner", { searchPath: `${root}/c`, cwd: root, runner: vcap }))).toMatchObject({
      _tag: "Some",
      value: { _tag: "CommandNotExecutable", path: owners, reason: "is not executable by uid 1000 (mode 0700, owner 0:0)" }
    })
    // Root needs only one of the execute bits, as the kernel asks.
    expect(resolveCommand("only-owner", { searchPath: `${root}/c`, cwd: root, runner: { uid: 0, groups: [0] } })).toEqual(Either.right(owners))
    expect(Either.getLeft(resolveCommand(".", { searchPath: undefined, cwd: root, runner: vcap }))).toMatchObject({ _tag: "Some", value: { reason: "is a directory" } })
  })

  it("not there: not found (127), naming the PATH searched, or the default one without PATH", () => {
    expect(Either.getLeft(resolveCommand("nowhere", { searchPath: undefined, cwd: root, runner: vcap }))).toMatchObject({
      _tag: "Some",
      value: { _tag: "CommandNotFound", searched: ["/bin", "/usr/bin"] }
    })
    expect(Either.getLeft(resolveCommand("./nowhere", { searchPath: "/bin", cwd: root, runner: vcap }))).toMatchObject({
      _tag: "Some",
      value: { _tag: "CommandNotFound", searched: [] }
    })
  })
})
