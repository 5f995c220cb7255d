/** Fixes to the command line that @effect/cli would misread, applied before it parses. */

/** `--name` of an option token (`--name` or `--name=value`), or undefined for a value or a short flag. */
const optionName = (token: string): string | undefined =>
  token.startsWith("--") && token.length > 2 ? token.split("=", 1)[0] : undefined

/** The first option given twice, other than one of `repeatable` (`--header`). */
export const findRepeatedOption = (argv: ReadonlyArray<string>, repeatable: ReadonlyArray<string>): string | undefined => {
  const seen = new Set<string>()
  for (const token of argv) {
    const name = optionName(token)
    if (name === undefined || repeatable.includes(name)) continue
    if (seen.has(name)) return name
    seen.add(name)
  }
  return undefined
}

/**
 * @effect/cli takes its built-in `--log-level` only before the subcommand
 * (`sipid --log-level debug kill ...`); sipid takes it anywhere, so
 * `sipid kill --pid-file F --log-level debug` works too.
 */
export const hoistLogLevel = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const logLevel: Array<string> = []
  const rest: Array<string> = []
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index]!
    if (token === "--log-level" && index + 1 < argv.length) logLevel.push(token, argv[++index]!)
    else if (token.startsWith("--log-level=")) logLevel.push(token)
    else rest.push(token)
  }
  return [...logLevel, ...rest]
}
