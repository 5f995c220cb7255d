/** The one converter from a failure of the system to an `OsError` (its code, its cause), the CLI's advice for it, and every error's line. */
import * as PlatformError from "@effect/platform/Error"
import { describe, expect, it } from "@effect/vitest"
import { Duration } from "effect"
import { adviceFor, reportText } from "../../src/cli/advice.js"
import { UsageError } from "../../src/cli/UsageError.js"
import { InvalidProbeSetting, TlsFileInvalid } from "../../src/health/errors.js"
import { OsError, OsSubject } from "../../src/os/OsError.js"
import { osError } from "../../src/os/errno.js"
import { ClaimantInvalid, ClaimantProblem, LockRetriesExhausted, PidfileInvalid, PidfileProblem, PidfileLocked, PidfileOwned } from "../../src/pidfile/errors.js"
import { InvalidPid, InvalidStopSchedule, JobSurvived, JobUnseen, ProcessHidden, ProcessSurvived } from "../../src/process/errors.js"
import { InvalidDuration } from "../../src/time/InvalidDuration.js"
import { ProbeFailure } from "../../src/health/failure.js"
import { StillHealthy, Unhealthy } from "../../src/health/verdict.js"
import { Errno } from "../../src/native/Libc.js"
import type { Pid } from "../../src/process/Pid.js"

const nodeError = (code: string, message: string) => Object.assign(new Error(`${code}: ${message}, open '/x'`), { code })

describe("osError", () => {
  it("asks for read permission when reading failed, and write permission when writing failed (the CLI's advice)", () => {
    const denied = nodeError("EACCES", "permission denied")
    expect(osError("open", "/x", denied).message).toBe("/x: open failed: EACCES (permission denied)")
    expect(reportText(osError("open", "/x", denied))).toBe("/x: open failed: EACCES (permission denied); run as a user that may read it (BOSH scripts run as root)")
    expect(adviceFor(osError("create", "/x", denied))).toContain("may write there")
  })

  it("keeps the error it was made from as its cause", () => {
    const full = nodeError("ENOSPC", "no space left on device")
    expect(osError("write", "/x", full)).toMatchObject({ subject: OsSubject.File({ path: "/x" }), code: "ENOSPC", detail: "ENOSPC (no space left on device)", cause: full })
    expect(adviceFor(osError("write", "/x", full))).toBe("the disk is full")
  })

  it("reads the Node error inside an @effect/platform error", () => {
    const denied = nodeError("EACCES", "permission denied")
    const platform = new PlatformError.SystemError({ module: "FileSystem", method: "readFile", reason: "PermissionDenied", pathOrDescriptor: "/x", cause: denied })
    expect(osError("read", "/x", platform)).toMatchObject({
      code: "EACCES",
      detail: "EACCES (permission denied)",
      cause: platform
    })
  })

  it("names an @effect/platform error without a Node error by its reason", () => {
    const platform = new PlatformError.SystemError({ module: "FileSystem", method: "readFile", reason: "NotFound", pathOrDescriptor: "/x" })
    expect(osError("read", "/x", platform)).toMatchObject({ code: "ENOENT", detail: `ENOENT (${platform.message})` })
  })

  it("describes libc's errno as Node would, about a process, with the CLI's advice for signalling", () => {
    const error = osError("send SIGTERM", OsSubject.Process({ pid: 42 as Pid }), new Errno({ syscall: "pidfd_send_signal", code: "EPERM" }))
    expect(reportText(error)).toBe("process 42: send SIGTERM failed: EPERM (operation not permitted); not permitted to signal it: run sipid as root or as the process's user")
  })

  it("keeps an OsError as it is, and calls anything else EUNKNOWN", () => {
    const made = new OsError({ operation: "load", subject: OsSubject.File({ path: "koffi" }), code: "ENATIVE" })
    expect(osError("open", "/x", made)).toBe(made)
    expect(osError("open", "/x", "boom")).toMatchObject({ code: "EUNKNOWN", detail: "boom", cause: "boom" })
  })

  it.each([
    ["EACCES", "send SIGTERM", "run as a user that may write there (BOSH scripts run as root)"],
    ["ENOSPC", "send SIGTERM", "the disk is full"],
    ["EPERM", "create", "run as a user that may write there (BOSH scripts run as root)"],
    ["EPERM", "read", "run as a user that may read it (BOSH scripts run as root)"],
    ["ENOSPC", "read", "the disk is full"],
    // sipid run's set-up of the job: no file advice where no file is involved.
    ["EPERM", "set limit nofile", "a limit above the hard one needs CAP_SYS_RESOURCE, and nofile above fs.nr_open is refused even to root"],
    ["EPERM", "setresuid", undefined],
    ["EACCES", "chdir", "the job's user may not enter it"]
  ])("advises on %s from %s by the code and whether the operation only reads", (code, operation, advice) => {
    expect(adviceFor(osError(operation, "/x", nodeError(code, "failed")))).toBe(advice)
  })

  it("calls an @effect/platform error it cannot place EUNKNOWN, and an errno without a description by its code", () => {
    const platform = new PlatformError.SystemError({ module: "FileSystem", method: "readFile", reason: "Unknown", pathOrDescriptor: "/x" })
    expect(osError("read", "/x", platform)).toMatchObject({ code: "EUNKNOWN", detail: `EUNKNOWN (${platform.message})` })
    expect(osError("read", "/x", { code: "EWEIRD" })).toMatchObject({ code: "EWEIRD", detail: "EWEIRD" })
  })
})

describe("each error is one line naming the value or file, what is wrong and what to do", () => {
  it.each([
    [new InvalidStopSchedule({ input: "TERM/x", reason: "x is not a duration" }), `invalid schedule "TERM/x": x is not a duration`],
    [new InvalidDuration({ input: "20", reason: "missing unit" }), `invalid duration "20": missing unit`],
    [new PidfileLocked({ path: "/p" }), "/p: locked by another process (a concurrent claim or kill, or flock(1)); try again"],
    [new PidfileOwned({ path: "/p", pid: 42 as Pid }), "/p: already names live process 42; stop it first (sipid kill --pid-file /p)"],
    [
      new Unhealthy({ failures: [{ target: "http://x/", failure: ProbeFailure.Refused() }], attempts: 3, elapsed: Duration.seconds(2), inARow: 0, successThreshold: 1 }),
      "http://x/: not healthy after 3 attempts (2s): last failure: connection refused; is the job listening on that port yet?"
    ],
    [new StillHealthy({ healthy: ["http://x/"], unseen: [], attempts: 1, elapsed: Duration.seconds(1), inARow: 0, successThreshold: 1 }), "http://x/: still healthy after 1 attempt (1s)"],
    [
      new StillHealthy({ healthy: ["http://x/", "tcp://y:1"], unseen: [], attempts: 2, elapsed: Duration.seconds(5), inARow: 0, successThreshold: 1 }),
      "still healthy after 2 attempts (5s): http://x/, tcp://y:1"
    ],
    [
      new StillHealthy({ healthy: ["http://x/"], unseen: ["http://y/", "http://z/"], attempts: 2, elapsed: Duration.seconds(4), inARow: 0, successThreshold: 1 }),
      "http://x/: still healthy after 2 attempts (4s); no probe of http://y/, http://z/ finished before the deadline: give the wait more time than one probe's time-out"
    ],
    [
      new StillHealthy({ healthy: [], unseen: [], attempts: 3, elapsed: Duration.seconds(10), inARow: 2, successThreshold: 3 }),
      "not unhealthy 3 attempts in a row after 3 attempts (10s), only the last 2"
    ],
    [new ProcessHidden({ pid: 42 as Pid }), "process 42: it exists but /proc/42 is hidden (/proc mounted with hidepid?); run sipid as root"],
    [
      new ClaimantInvalid({ pid: 42 as Pid, problem: ClaimantProblem.NotRunning() }),
      `PID 42 is not a running process; pass the PID of the job's process (in a start script, "$$" before exec)`
    ],
    [
      new ClaimantInvalid({ pid: 2 as Pid, problem: ClaimantProblem.KernelThread({ command: "kthreadd" }) }),
      `PID 2 is a kernel thread (kthreadd), never a job's process; pass the PID of the job's process (in a start script, "$$" before exec)`
    ],
    [new ClaimantInvalid({ pid: 81 as Pid, problem: ClaimantProblem.Thread({ process: 80 as Pid }) }), "PID 81 is a thread of process 80; pass 80"],
    [new UsageError({ detail: "--pid: required" }), "--pid: required"],
    [new InvalidPid({ input: "0", reason: `"0" is not a valid PID: expected a decimal number from 2 to 4194304` }), `"0" is not a valid PID: expected a decimal number from 2 to 4194304`],
    [new InvalidProbeSetting({ input: "2xx", reason: `"2xx" is not a status code or range; use e.g. 200 or 200-399` }), `"2xx" is not a status code or range; use e.g. 200 or 200-399`],
    [new PidfileInvalid({ path: "/p", problem: PidfileProblem.Empty() }), "/p: is empty, so it names no process to stop; left untouched, fix or remove it by hand"],
    [
      new PidfileInvalid({ path: "/p", problem: PidfileProblem.ChangedWhileLocked({ removed: true }) }),
      "/p: was removed while locked, by a program that does not lock (start-stop-daemon, an editor); not claimed; left untouched, fix or remove it by hand"
    ],
    [
      new PidfileInvalid({ path: "/p", problem: PidfileProblem.UntrustedSymlinkOnPath({ at: "/run/x", target: "/tmp/x", why: "uid 1000 owns it", callerUid: 0 }) }),
      "/p: its path goes through the symbolic link /run/x -> /tmp/x, and uid 1000 owns it, so another user may point it anywhere; sipid follows a link on the way only if root owns it and its directory and no other user may write there: give the path it leads to; left untouched, fix or remove it by hand"
    ],
    [
      new PidfileInvalid({ path: "/p", problem: PidfileProblem.UntrustedSymlinkOnPath({ at: "/run/x", target: "/tmp/x", why: "uid 1000 owns it", callerUid: 33 }) }),
      "/p: its path goes through the symbolic link /run/x -> /tmp/x, and uid 1000 owns it, so another user may point it anywhere; sipid follows a link on the way only if root or uid 33 (sipid's own) own it and its directory and no other user may write there: give the path it leads to; left untouched, fix or remove it by hand"
    ],
    [
      new LockRetriesExhausted({ path: "/p", attempts: 20 }),
      "/p: lock failed: the file was replaced 20 times while locking; another program keeps rewriting it, try again"
    ],
    [
      new ProcessSurvived({ path: "/p", pid: 42 as Pid, waited: Duration.seconds(25), sentKill: true }),
      "/p: process 42 is still alive after 25s, SIGKILL included (stuck in D state?); pidfile kept, check it with ps -o stat= -p 42"
    ],
    [
      new ProcessSurvived({ path: "/p", pid: 42 as Pid, waited: Duration.seconds(1), sentKill: false }),
      "/p: process 42 is still alive after 1s; the schedule sent no SIGKILL; pidfile kept; add KILL/N to --retry to force it"
    ],
    [
      new OsError({ operation: "open", subject: OsSubject.File({ path: "/p" }), code: "EIO" }),
      "/p: open failed: EIO"
    ],
    [
      new OsError({ operation: "open", subject: OsSubject.File({ path: "/p" }), code: "EIO", detail: "EIO (i/o error)", hint: "check the disk" }),
      "/p: open failed: EIO (i/o error); check the disk"
    ],
    [
      new OsError({ operation: "setresuid", subject: OsSubject.JobSetUp({ what: "user vcap" }), code: "EPERM" }),
      "user vcap: setresuid failed: EPERM"
    ],
    [
      new OsError({ operation: "write", subject: OsSubject.File({ path: "/p" }), code: "ENOSPC", hint: "the installation is incomplete" }),
      "/p: write failed: ENOSPC; the installation is incomplete"
    ]
  ])("%s", (error, line) => {
    // The line the CLI logs: the error's message, and the command line's advice (cli/advice.ts).
    expect(reportText(error)).toBe(line)
  })
})

describe("the library's messages state facts; the sipid command or option that helps is the CLI's to add", () => {
  it.each([
    [new PidfileOwned({ path: "/p", pid: 42 as Pid }), "/p: already names live process 42", "stop it first (sipid kill --pid-file /p)"],
    [new ProcessSurvived({ path: "/p", pid: 42 as Pid, waited: Duration.seconds(1), sentKill: false }), "/p: process 42 is still alive after 1s; the schedule sent no SIGKILL; pidfile kept", "add KILL/N to --retry to force it"],
    [new ProcessHidden({ pid: 42 as Pid }), "process 42: it exists but /proc/42 is hidden (/proc mounted with hidepid?)", "run sipid as root"]
  ] as const)("%s", (error, message, advice) => {
    expect(error.message).toBe(message)
    expect(adviceFor(error)).toBe(advice)
  })

  it("gives no advice where none helps: SIGKILL was sent, or nothing of the job survived", () => {
    expect(adviceFor(new ProcessSurvived({ path: "/p", pid: 42 as Pid, waited: Duration.seconds(25), sentKill: true }))).toBeUndefined()
    const unseen = { path: "/p", pid: 1080 as Pid, waited: Duration.seconds(1), sentKill: false, look: "the first look", left: "stopped", survivors: [] }
    expect(adviceFor(new JobUnseen(unseen))).toBeUndefined()
    expect(adviceFor(new PidfileLocked({ path: "/p" }))).toBeUndefined()
  })

  const rounds = { attempts: 3, elapsed: Duration.seconds(2), inARow: 0, successThreshold: 1 }
  it.each([
    [
      new Unhealthy({ ...rounds, failures: [{ target: "https://x/", failure: ProbeFailure.Untrusted({ detail: "d" }) }] }),
      "https://x/: not healthy after 3 attempts (2s): last failure: certificate not trusted (d); is the endpoint's CA missing?",
      "https://x/: not healthy after 3 attempts (2s): last failure: certificate not trusted (d); is the endpoint's CA missing? add it with --ca-cert FILE (or --insecure for a test)"
    ],
    [
      new Unhealthy({
        ...rounds,
        failures: [{ target: "http://x/", failure: ProbeFailure.BadStatus({ status: 403, body: "" }) }, { target: "tcp://y:1", failure: ProbeFailure.Refused() }]
      }),
      "not healthy after 3 attempts (2s): http://x/ (last failure: status 403), tcp://y:1 (last failure: connection refused; is the job listening on that port yet?)",
      "not healthy after 3 attempts (2s): http://x/ (last failure: status 403; send credentials with --header 'Authorization: ...', or accept the status with --expect-status, e.g. 200,403), " +
      "tcp://y:1 (last failure: connection refused; is the job listening on that port yet?)"
    ],
    [
      new Unhealthy({ ...rounds, inARow: 2, successThreshold: 3, failures: [] }),
      "not healthy 3 attempts in a row after 3 attempts (2s), only the last 2: every probe was healthy, but the deadline came first",
      "not healthy 3 attempts in a row after 3 attempts (2s), only the last 2: every probe was healthy, but the deadline came first; give --timeout more room"
    ],
    [
      new TlsFileInvalid({ files: [{ field: "caCerts", path: "/ca.pem" }], reason: "cannot read it (EACCES)" }),
      "CA certificate /ca.pem: cannot read it (EACCES)",
      "--ca-cert /ca.pem: cannot read it (EACCES)"
    ]
  ] as const)("health: %s, the CLI's options inside its line", (error, message, line) => {
    expect(error.message).toBe(message)
    expect(reportText(error)).toBe(line)
  })
})

describe("each error keeps its fields for a library caller", () => {
  it.each([
    [new InvalidPid({ input: "0", reason: "r" }), { _tag: "InvalidPid", input: "0", reason: "r" }],
    [new InvalidStopSchedule({ input: "TERM/x", reason: "r" }), { _tag: "InvalidStopSchedule", input: "TERM/x", reason: "r" }],
    [new InvalidDuration({ input: "20", reason: "r" }), { _tag: "InvalidDuration", input: "20", reason: "r" }],
    [new InvalidProbeSetting({ input: "2xx", reason: "r" }), { _tag: "InvalidProbeSetting", input: "2xx", reason: "r" }],
    [
      new TlsFileInvalid({ files: [{ field: "clientCert", path: "/c" }, { field: "clientKey", path: "/k" }], reason: "r" }),
      { _tag: "TlsFileInvalid", files: [{ field: "clientCert", path: "/c" }, { field: "clientKey", path: "/k" }], reason: "r" }
    ],
    [new LockRetriesExhausted({ path: "/p", attempts: 20 }), { _tag: "LockRetriesExhausted", path: "/p", attempts: 20 }],
    [new ProcessHidden({ pid: 42 as Pid }), { _tag: "ProcessHidden", pid: 42 }],
    [
      new PidfileInvalid({ path: "/p", problem: PidfileProblem.NamesThread({ pid: 81 as Pid, process: 80 as Pid }) }),
      { _tag: "PidfileInvalid", path: "/p", problem: { _tag: "NamesThread", pid: 81, process: 80 }, reason: "names 81, a thread of process 80, not a process" }
    ]
  ] as const)("%s", (error, fields) => {
    expect(error).toMatchObject(fields)
  })
})

describe("JobUnseen says which look left what unknown, and what is left of what was found", () => {
  const unseen = { path: "/p", pid: 1080 as Pid, waited: Duration.seconds(28), sentKill: true, look: "the first look", left: "stopped at its deadline with 12 process(es) unread" }

  it("everything found gone: what is unknown, and how to look for it", () => {
    expect(new JobUnseen({ ...unseen, survivors: [] }).message).toBe(
      "/p: process 1080's job was not seen whole: the first look stopped at its deadline with 12 process(es) unread, and no later look made up for it, " +
        "so more of the job may still run; pidfile kept, look for the rest with ps -e -o pid,ppid,sid,pgid,args"
    )
  })

  it("and survivors: named as JobSurvived names them", () => {
    expect(new JobUnseen({ ...unseen, survivors: [{ pid: 1093 as Pid, command: "worker", state: "S" }] }).message).toBe(
      "/p: process 1080's job was not seen whole: the first look stopped at its deadline with 12 process(es) unread, and no later look made up for it, " +
        "so more of the job may still run; and 1 process(es) of process 1080's job still alive after 28s, SIGKILL included: 1093 worker (state S); " +
        "pidfile kept, check them with ps -o pid,stat,args -p 1093, and look for the rest with ps -e -o pid,ppid,sid,pgid,args"
    )
  })
})

describe("JobSurvived names every survivor, its command and state, and how to look at them", () => {
  const survivors = [
    { pid: 1080 as Pid, command: "master", state: "S" },
    { pid: 1093 as Pid, command: "worker", state: "D" }
  ]

  it("after SIGKILL: the main process marked, D state explained, one ps command for all", () => {
    const error = new JobSurvived({ path: "/p", pid: 1080 as Pid, waited: Duration.seconds(27), sentKill: true, survivors })
    expect(error.message).toBe(
      "/p: 2 process(es) of process 1080's job still alive after 27s, SIGKILL included: 1080 (main) master (state S), " +
        "1093 worker (state D: uninterruptible sleep, SIGKILL takes effect only when its kernel call returns); " +
        "pidfile kept, check them with ps -o pid,stat,args -p 1080,1093"
    )
  })

  it("without SIGKILL: the CLI says to add one; a member alone is not marked main", () => {
    const error = new JobSurvived({ path: "/p", pid: 1080 as Pid, waited: Duration.seconds(1), sentKill: false, survivors: [{ pid: 1093 as Pid, command: "sleep", state: "S" }] })
    expect(reportText(error)).toBe(
      "/p: 1 process(es) of process 1080's job still alive after 1s; the schedule sent no SIGKILL: " +
        "1093 sleep (state S); pidfile kept, check them with ps -o pid,stat,args -p 1093; add KILL/N to --retry to force it"
    )
  })

  it("keeps its fields for a library caller", () => {
    expect(new JobSurvived({ path: "/p", pid: 1080 as Pid, waited: Duration.seconds(27), sentKill: true, survivors })).toMatchObject({
      _tag: "JobSurvived",
      path: "/p",
      pid: 1080,
      waited: Duration.seconds(27),
      sentKill: true,
      survivors
    })
  })
})
