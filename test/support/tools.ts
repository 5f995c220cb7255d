/** Tools some CLI tests need: where one is missing, those tests are skipped, and their names say what to install. */
import { execFileSync } from "node:child_process"

/** Whether `command` runs, asked with `args` (its version, say). */
export const installed = (command: string, ...args: ReadonlyArray<string>): boolean => {
  try {
    execFileSync(command, [...args], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}
