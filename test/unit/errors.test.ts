/** The one converter from a failure of the system to a `SystemError`: its code, its hint, its cause. */
import * as PlatformError from "@effect/platform/Error"
import { describe, expect, it } from "@effect/vitest"
import { SystemError, systemError } from "../../src/errors.js"
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
})
