/** The one converter from a failure of the system to a `SystemError`: its code, its hint, its cause. */
import * as PlatformError from "@effect/platform/Error"
import { describe, expect, it } from "@effect/vitest"
import {
  InvalidDuration,
  InvalidStopSchedule,
  PidfileLocked,
  PidfileOwned,
  ProcessHidden,
  SystemError,
  systemError,
  Unhealthy
} from "../../src/errors.js"
import { Errno } from "../../src/native/Libc.js"

const nodeError = (code: string, message: string) => Object.assign(new Error(`${code}: ${message}, open '/x'`), { code })

describe("systemError", () => {
  it("asks for read permission when reading failed, and write permission when writing failed", () => {
    const denied = nodeError("EACCES", "permission denied")
    expect(systemError("open", "/x", denied).message).toBe("/x: open failed: EACCES (permission denied); run as a user that may read it (BOSH scripts run as root)")
    expect(systemError("create", "/x", denied).hint).toContain("may write there")
  })

  it("keeps the error it was made from as its cause", () => {
    const full = nodeError("ENOSPC", "no space left on device")
    expect(systemError("write", "/x", full)).toMatchObject({ code: "ENOSPC", detail: "ENOSPC (no space left on device)", hint: "the disk is full", cause: full })
  })

  it("reads the Node error inside an @effect/platform error, hint included", () => {
    const denied = nodeError("EACCES", "permission denied")
    const platform = new PlatformError.SystemError({ module: "FileSystem", method: "readFile", reason: "PermissionDenied", pathOrDescriptor: "/x", cause: denied })
    expect(systemError("read", "/x", platform)).toMatchObject({
      code: "EACCES",
      detail: "EACCES (permission denied)",
      hint: "run as a user that may read it (BOSH scripts run as root)",
      cause: platform
    })
  })

  it("names an @effect/platform error without a Node error by its reason", () => {
    const platform = new PlatformError.SystemError({ module: "FileSystem", method: "readFile", reason: "NotFound", pathOrDescriptor: "/x" })
    expect(systemError("read", "/x", platform)).toMatchObject({ code: "ENOENT", detail: `ENOENT (${platform.message})` })
  })

  it("describes libc's errno as Node would, with the hint for signalling", () => {
    const error = systemError("send SIGTERM", "process 42", new Errno({ syscall: "pidfd_send_signal", code: "EPERM" }))
    expect(error.message).toBe("process 42: send SIGTERM failed: EPERM (operation not permitted); not permitted to signal it: run sipid as root or as the process's user")
  })

  it("keeps a SystemError as it is, and calls anything else EUNKNOWN", () => {
    const made = new SystemError({ operation: "load", path: "koffi", code: "ENATIVE" })
    expect(systemError("open", "/x", made)).toBe(made)
    expect(systemError("open", "/x", "boom")).toMatchObject({ code: "EUNKNOWN", detail: "boom", cause: "boom" })
  })

  it.each([
    ["EACCES", "send SIGTERM", "run as a user that may write there (BOSH scripts run as root)"],
    ["ENOSPC", "send SIGTERM", "the disk is full"],
    ["EPERM", "create", "run as a user that may write there (BOSH scripts run as root)"],
    ["EPERM", "read", "run as a user that may read it (BOSH scripts run as root)"],
    ["ENOSPC", "read", "the disk is full"]
  ])("hints %s on %s by the code and whether the operation only reads", (code, operation, hint) => {
    expect(systemError(operation, "/x", nodeError(code, "failed")).hint).toBe(hint)
  })

  it("calls an @effect/platform error it cannot place EUNKNOWN, and an errno without a description by its code", () => {
    const platform = new PlatformError.SystemError({ module: "FileSystem", method: "readFile", reason: "Unknown", pathOrDescriptor: "/x" })
    expect(systemError("read", "/x", platform)).toMatchObject({ code: "EUNKNOWN", detail: `EUNKNOWN (${platform.message})` })
    expect(systemError("read", "/x", { code: "EWEIRD" })).toMatchObject({ code: "EWEIRD", detail: "EWEIRD" })
  })
})

describe("each error is one line naming the value or file, what is wrong and what to do", () => {
  it.each([
    [new InvalidStopSchedule({ input: "TERM/x", reason: "x is not a duration" }), `invalid schedule "TERM/x": x is not a duration`],
    [new InvalidDuration({ input: "20", reason: "missing unit" }), `invalid duration "20": missing unit`],
    [new PidfileLocked({ path: "/p" }), "/p: locked by another process (a concurrent claim or kill, or flock(1)); try again"],
    [new PidfileOwned({ path: "/p", pid: 42 }), "/p: already names live process 42; stop it first (sipid kill --pid-file /p)"],
    [new Unhealthy({ url: "http://x/", summary: "not healthy after 3 attempts" }), "http://x/: not healthy after 3 attempts"],
    [new ProcessHidden({ pid: 42 }), "process 42: it exists but /proc/42 is hidden (/proc mounted with hidepid?); run sipid as root"]
  ])("%s", (error, message) => {
    expect(error.message).toBe(message)
  })
})
