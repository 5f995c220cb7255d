/**
 * The arm64 tarball, run on this x86-64 machine under qemu-user: the
 * launcher and the runtime it execs both go through binfmt_misc's qemu-aarch64
 * entry, and the runtime finds arm64 glibc where an arm64 machine has it
 * (Debian's multiarch libc6:arm64; QEMU_LD_PREFIX would do, but qemu then
 * reads every absolute path, "/" included, inside that prefix first).
 * `.ci/run` installs qemu-user-static and libc6:arm64 and registers the entry.
 */
import { existsSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runInPidNamespace, runSipid } from "../support/cli.js"
import { expectTheLifeOfAJob, hostArch, lifeOfAJob, unpackDist } from "../support/dist.js"

const missing = [
  ["the binfmt_misc entry qemu-aarch64", "/proc/sys/fs/binfmt_misc/qemu-aarch64"],
  ["arm64 glibc (Debian's libc6:arm64)", "/lib/ld-linux-aarch64.so.1"]
].filter(([, path]) => !existsSync(path!)).map(([what]) => what)
const runsArm64 = hostArch === "arm64" || missing.length === 0
if (!runsArm64) console.log(`skipping the arm64 executable's tests: no ${missing.join(", no ")} (run .ci/run's set-up)`)

describe.skipIf(!runsArm64)("the arm64 executable from npm run dist, under qemu-user", () => {
  let root: string
  const env = { PATH: process.env.PATH }

  beforeAll(async () => {
    root = await unpackDist("arm64")
  }, 900_000)
  afterAll(() => rmSync(dirname(root), { recursive: true, force: true }))

  it("prints its version", async () => {
    const result = await runSipid(["--version"], { executable: join(root, "bin", "sipid"), env })
    expect(result).toMatchObject({ code: 0, stderr: "" })
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
  })

  it("claims, reports and kills a process", async () => {
    expectTheLifeOfAJob(await runInPidNamespace(lifeOfAJob, {
      ...env,
      EXE: join(root, "bin", "sipid"),
      EMPTY: dirname(root)
    }))
  })
})
