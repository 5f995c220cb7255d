/**
 * What `sipid run` sets up for the job besides its user, as parsed from
 * the command line: each parser answers the value or one sentence about
 * what is wrong (the CLI spec's `Parse`).
 */
import { Either, type Option } from "effect"

/** setrlimit(2)'s resources by their prlimit(1) names; the numbers are the same on every Linux architecture sipid ships for. */
export const limitResources: Readonly<Record<string, number>> = {
  cpu: 0,
  fsize: 1,
  data: 2,
  stack: 3,
  core: 4,
  rss: 5,
  nproc: 6,
  nofile: 7,
  memlock: 8,
  as: 9,
  locks: 10,
  sigpending: 11,
  msgqueue: 12,
  nice: 13,
  rtprio: 14,
  rttime: 15
}

/** RLIM_INFINITY: unlimited. */
export const rlimInfinity = 2n ** 64n - 1n

export interface Limit {
  readonly name: string
  readonly resource: number
  readonly soft: bigint
  readonly hard: bigint
}

/** A limit as prlimit(1) and /proc/PID/limits write it: a number, or unlimited. */
export const limitValue = (text: string): bigint | undefined =>
  text === "unlimited" || text === "infinity" ? rlimInfinity : /^(0|[1-9][0-9]{0,18})$/.test(text) ? BigInt(text) : undefined

/** `NAME=SOFT[:HARD]`: one value sets both, as prlimit(1) and systemd's Limit*= do. */
export const parseLimit = (text: string): Either.Either<Limit, string> => {
  const equals = text.indexOf("=")
  const [name, values] = equals < 0 ? [text, ""] : [text.slice(0, equals), text.slice(equals + 1)]
  const resource = limitResources[name]
  if (resource === undefined) return Either.left(`"${name}" is not a limit: use one of ${Object.keys(limitResources).join(", ")}`)
  const [softText = "", hardText = softText, ...rest] = values.split(":")
  const soft = limitValue(softText)
  const hard = limitValue(hardText)
  if (rest.length > 0 || soft === undefined || hard === undefined) {
    return Either.left(`"${text}" is not NAME=SOFT[:HARD] with whole numbers or unlimited`)
  }
  return soft > hard ? Either.left(`"${text}": the soft limit is above the hard one`) : Either.right({ name, resource, soft, hard })
}

/** What the job's process is given besides its user, its environment and its logs. */
export interface ProcessSettings {
  readonly chdir: Option.Option<string>
  readonly umask: Option.Option<number>
  readonly limits: ReadonlyArray<Limit>
  readonly nice: Option.Option<number>
  readonly noNewPrivs: boolean
}

/** An octal file mode creation mask, `022` or `0027`. */
export const parseUmask = (text: string): Either.Either<number, string> =>
  /^0?[0-7]{1,3}$/.test(text) ? Either.right(parseInt(text, 8)) : Either.left(`"${text}" is not an octal mask such as 022 or 0027`)

/** A niceness from -20 (first) to 19 (last). */
export const parseNice = (text: string): Either.Either<number, string> =>
  /^-?[0-9]{1,2}$/.test(text) && Number(text) >= -20 && Number(text) <= 19
    ? Either.right(Number(text))
    : Either.left(`"${text}" is not a niceness from -20 to 19`)

/** `NAME=VALUE`, NAME as a shell would accept it. */
export const parseVariable = (text: string): Either.Either<readonly [string, string], string> => {
  const equals = text.indexOf("=")
  const name = text.slice(0, Math.max(0, equals))
  return equals > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
    ? Either.right([name, text.slice(equals + 1)])
    : Either.left(`"${text}" is not NAME=VALUE with a name of letters, digits and _`)
}
