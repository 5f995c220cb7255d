/**
 * `--user USER[:GROUP]`: who the job runs as, read from /etc/passwd and
 * /etc/group as a stemcell keeps them (users that only NSS sources such as
 * LDAP know are not found). The groups are what initgroups(3) would give:
 * the primary group (GROUP, if given, instead of the user's own) and every
 * group that lists the user as a member.
 */
import { Effect, Either } from "effect"
import { readFileSync } from "node:fs"
import type { OsError } from "../os/OsError.js"
import { osError } from "../os/errno.js"
import { UnknownAccount } from "./errors.js"

export interface AccountSpec {
  readonly user: string
  readonly group?: string
}

export interface Account {
  readonly name: string
  readonly uid: number
  /** The real, effective and saved group. */
  readonly gid: number
  /** The supplementary groups, `gid` first. */
  readonly groups: ReadonlyArray<number>
  readonly home: string
}

const nameOrNumber = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/

/** `USER[:GROUP]`, each a name or a number. */
export const parseAccountSpec = (text: string): Either.Either<AccountSpec, string> => {
  const [user = "", group, ...rest] = text.split(":")
  if (rest.length > 0 || !nameOrNumber.test(user) || (group !== undefined && !nameOrNumber.test(group))) {
    return Either.left(`"${text}" is not USER or USER:GROUP (names or numbers)`)
  }
  return Either.right(group === undefined ? { user } : { user, group })
}

/** The lines of a passwd or group file as their fields, comments and blank lines left out. */
const records = (text: string) => text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).map((line) => line.split(":"))

/** The record named `wanted` (its first field), or else, for a number, the one with that id (`idField`). */
const find = (rows: ReadonlyArray<ReadonlyArray<string>>, wanted: string, idField: number) =>
  rows.find((row) => row[0] === wanted) ?? (/^\d+$/.test(wanted) ? rows.find((row) => row[idField] === wanted) : undefined)

/**
 * A uid or gid the kernel takes as given: below 2^32 - 1, which setresuid
 * reads as "leave unchanged", and which a wider number would wrap onto (a
 * passwd line with 4294967296 would otherwise run the job as root).
 */
const isId = (text: string | undefined): text is string => text !== undefined && /^\d{1,10}$/.test(text) && Number(text) < 2 ** 32 - 1

/** The account `spec` names, from the text of /etc/passwd and /etc/group. */
export const lookUpAccount = (spec: AccountSpec, passwd: string, group: string): Either.Either<Account, UnknownAccount> => {
  const user = find(records(passwd), spec.user, 2)
  const [name, , uid, gid, , home = "/"] = user ?? []
  if (name === undefined || !isId(uid) || !isId(gid)) return Either.left(new UnknownAccount({ kind: "user", name: spec.user }))
  const groups = records(group)
  let primary = Number(gid)
  if (spec.group !== undefined) {
    const named = find(groups, spec.group, 2)?.[2]
    if (!isId(named)) return Either.left(new UnknownAccount({ kind: "group", name: spec.group }))
    primary = Number(named)
  }
  const member = groups.filter((row) => isId(row[2]) && (row[3] ?? "").split(",").includes(name)).map((row) => Number(row[2]))
  return Either.right({ name, uid: Number(uid), gid: primary, groups: [...new Set([primary, ...member])], home })
}

const readText = (path: string) =>
  Effect.try({ try: () => readFileSync(path, "utf8"), catch: (cause) => osError("read", path, cause) })

/** The account `spec` names on this machine. */
export const readAccount = (spec: AccountSpec): Effect.Effect<Account, UnknownAccount | OsError> =>
  Effect.flatMap(Effect.all([readText("/etc/passwd"), readText("/etc/group")]), ([passwd, group]) => lookUpAccount(spec, passwd, group))
