/**
 * Which symbolic links on the way to a pidfile sipid follows: only those
 * that no user but root, or the caller itself, may have chosen the target
 * of (the link's owner, the owner of its directory, whoever may write that
 * directory unless it is sticky).
 */
import { describe, expect, it } from "vitest"
import { unsafeSymlinkReason } from "../../src/pidfile/trust.js"

const link = (uid: number, directory: { readonly uid: number; readonly mode: number }) => ({
  at: "/var/vcap/sys",
  target: "/var/vcap/data/sys",
  link: { uid, mode: 0o120777 },
  directory
})
const vcap = 1000

describe("unsafeSymlinkReason", () => {
  it.each([
    ["root's link in root's 0755 directory (a stemcell's /var/vcap/sys)", 0, link(0, { uid: 0, mode: 0o40755 })],
    ["root's link in root's sticky world-writable directory (/tmp)", 0, link(0, { uid: 0, mode: 0o41777 })],
    ["root's link in root's sticky group-writable directory", 0, link(0, { uid: 0, mode: 0o41775 })],
    ["the caller's own link in its own directory, for a caller that is not root", vcap, link(vcap, { uid: vcap, mode: 0o40755 })],
    ["root's link in the caller's sticky directory, for a caller that is not root", vcap, link(0, { uid: vcap, mode: 0o41777 })]
  ] as const)("follows %s", (_, caller, symlink) => {
    expect(unsafeSymlinkReason(symlink, caller)).toBeUndefined()
  })

  it.each([
    ["another user's link, as root", 0, link(vcap, { uid: 0, mode: 0o40755 }), "uid 1000 owns it"],
    ["root's link in another user's directory, as root", 0, link(0, { uid: vcap, mode: 0o40700 }), "uid 1000 owns the directory that holds it"],
    ["root's link in a world-writable directory that is not sticky", 0, link(0, { uid: 0, mode: 0o40777 }), "the directory that holds it is writable by others (mode 777, not sticky)"],
    ["root's link in a directory its group may write, group root included", 0, link(0, { uid: 0, mode: 0o40775 }), "the directory that holds it is writable by others (mode 775, not sticky)"],
    ["a third user's link, for a caller that is not root", vcap, link(65534, { uid: vcap, mode: 0o40755 }), "uid 65534 owns it"],
    ["the caller's link in a third user's directory", vcap, link(vcap, { uid: 65534, mode: 0o41777 }), "uid 65534 owns the directory that holds it"]
  ] as const)("refuses %s", (_, caller, symlink, reason) => {
    expect(unsafeSymlinkReason(symlink, caller)).toBe(reason)
  })
})
