/**
 * The pure parsers behind the check options (`--expect-status`,
 * `--expect-body`, `--expect-json`, `--expect-header`): each gives the check
 * it asks for, or refuses the value with `InvalidProbeSetting`.
 */
import { Either } from "effect"
import type { InvalidProbeSetting } from "./errors.js"
import { headerName, invalid } from "./options.js"
import { Check, type StatusRange } from "./target.js"

const statusRange = /^([1-5]\d\d)(?:-([1-5]\d\d))?$/

/**
 * Codes and ranges separated by commas: `200`, `200-399`, `200-299,401`.
 * @since 0.2.0
 * @category parsers
 */
export const parseExpectStatus = (text: string): Either.Either<Check, InvalidProbeSetting> => {
  const ranges = text.split(",").map((item): StatusRange | undefined => {
    const match = statusRange.exec(item)
    const min = Number(match?.[1])
    const max = match?.[2] === undefined ? min : Number(match[2])
    // Equivalent mutant, not disabled (the line's other ConditionalExpression mutants are killable): match !== null → true;
    // without a match min and max are NaN, and NaN <= NaN is false.
    return match !== null && min <= max ? { min, max } : undefined
  })
  return ranges.every((range) => range !== undefined)
    ? Either.right(Check.Status({ accepted: ranges }))
    : invalid(text, `"${text}" is not a status code, a range or a list of them; use e.g. 200, 200-399 or 200-299,401`)
}

const regExp = (text: string, source: string): Either.Either<RegExp, InvalidProbeSetting> => {
  try {
    return Either.right(new RegExp(source))
  } catch (error) {
    return invalid(text, `"${source}" is not a regular expression (${(error as Error).message})`)
  }
}

/**
 * An ECMAScript regular expression, without flags, the body must match.
 * @since 0.2.0
 * @category parsers
 */
export const parseExpectBody = (text: string): Either.Either<Check, InvalidProbeSetting> =>
  Either.map(regExp(text, text), (pattern) => Check.Body({ pattern }))

/**
 * `PATH=VALUE`: dot-separated keys (an array's items by their index), then the value as text.
 * @since 0.2.0
 * @category parsers
 */
export const parseExpectJson = (text: string): Either.Either<Check, InvalidProbeSetting> => {
  const equals = text.indexOf("=")
  const path = text.slice(0, Math.max(0, equals))
  return equals < 0 || path.split(".").includes("")
    ? invalid(text, `"${text}" is not PATH=VALUE; use e.g. status=UP or components.db.status=UP (items.0.name for arrays)`)
    : Either.right(Check.Json({ path, value: text.slice(equals + 1) }))
}

const headerPattern = new RegExp(`^(${headerName}):[ \\t]*(.*)$`, "s")

/**
 * `NAME: REGEX`, the regular expression the header's value must match (an empty one: the header must be there).
 * @since 0.2.0
 * @category parsers
 */
export const parseExpectHeader = (text: string): Either.Either<Check, InvalidProbeSetting> => {
  const match = headerPattern.exec(text)
  return match === null
    ? invalid(text, `"${text}" is not 'NAME: REGEX'; use e.g. 'Content-Type: ^application/json'`)
    : Either.map(regExp(text, match[2]!), (pattern) => Check.Header({ name: match[1]!.toLowerCase(), pattern }))
}
