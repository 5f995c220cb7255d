/**
 * Finds the file COMMAND names before anything is claimed, as execvp(3)
 * would, and checks that the job's user may run it: a missing command or a
 * file the user cannot execute is reported (127, 126) without a pidfile
 * ever naming a process that cannot become the job.
 *
 * Executable means a regular file with the execute bit for that user
 * (owner, group or other, as the kernel picks; root needs any one of
 * them). The directories on the way, ACLs and what the file turns out to
 * be (a script whose interpreter is missing) are the kernel's to judge at
 * exec, where a refusal withdraws the claim.
 */
import { Effect, Either } from "effect"
import { type Stats, statSync } from "node:fs"
import { resolve } from "node:path"
import { CommandNotExecutable, CommandNotFound } from "./errors.js"
import { codeOf } from "../pidfile/liveCalls.js"

/** Whose permissions count: the job's user and groups. */
export interface Runner {
  readonly uid: number
  readonly groups: ReadonlyArray<number>
}

/** execvp's PATH when the job's environment has none. */
export const defaultSearchPath = "/bin:/usr/bin"

const mayExecute = (stats: Stats, { groups, uid }: Runner): boolean => {
  const bits = uid === 0 ? 0o111 : stats.uid === uid ? 0o100 : groups.includes(stats.gid) ? 0o010 : 0o001
  return (stats.mode & bits) !== 0
}

/** Why `path` cannot be run by `runner`; undefined when it can, and "missing" when nothing is there. */
const refusal = (path: string, runner: Runner): string | undefined => {
  let stats: Stats
  try {
    stats = statSync(path)
  } catch (error) {
    const code = codeOf(error)
    return code === "ENOENT" || code === "ENOTDIR" ? "missing" : `cannot be read: ${code}`
  }
  if (stats.isDirectory()) return "is a directory"
  if (!stats.isFile()) return "is not a regular file"
  return mayExecute(stats, runner)
    ? undefined
    : `is not executable by uid ${runner.uid} (mode ${(stats.mode & 0o7777).toString(8).padStart(4, "0")}, owner ${stats.uid}:${stats.gid})`
}

/**
 * The absolute path of the file `command` names: itself when it holds a
 * slash, else the first executable file of that name in `searchPath`;
 * relative ones are taken from `cwd`, the job's working directory.
 */
export const resolveCommand = (
  command: string,
  options: { readonly searchPath: string | undefined; readonly cwd: string; readonly runner: Runner }
): Either.Either<string, CommandNotFound | CommandNotExecutable> => {
  const { cwd, runner } = options
  if (command === "") return Either.left(new CommandNotFound({ command, searched: [] }))
  const searched = command.includes("/") ? [] : (options.searchPath ?? defaultSearchPath).split(":")
  const candidates = command.includes("/") ? [resolve(cwd, command)] : searched.map((directory) => resolve(cwd, directory, command))
  let firstRefusal: CommandNotExecutable | undefined
  for (const path of candidates) {
    const reason = refusal(path, runner)
    if (reason === undefined) return Either.right(path)
    // As execvp: a file found but refused is reported unless a later directory has one to run.
    if (reason !== "missing") firstRefusal ??= new CommandNotExecutable({ command, path, reason })
  }
  return Either.left(firstRefusal ?? new CommandNotFound({ command, searched }))
}

/** `resolveCommand` as an Effect. */
export const findCommand = (...args: Parameters<typeof resolveCommand>) => Effect.suspend(() => resolveCommand(...args))
