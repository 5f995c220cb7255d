/**
 * The job's environment: the one sipid was started with, then `--clear-env`,
 * the user's HOME, USER and LOGNAME (with `--user`), and `--env` last.
 *
 * The release executable's launcher (src/launcher/launcher.c) hides the
 * variables meant for other runtimes (BUN_*, NODE_*, LD_PRELOAD, ...) from
 * sipid's own runtime as SIPID_HIDDEN_<NAME>, and adds the runtime's
 * settings (and SIPID_CWD_DELETED when the caller's working directory was
 * deleted). The job gets them back as they were: the settings removed, the
 * hidden names restored. Under the npm bin nothing is hidden.
 */

/** The prefix the launcher puts before a variable it hides (launcher.c's `hidden_mark`). */
export const hiddenMark = "SIPID_HIDDEN_"

/** What the launcher adds for the runtime (launcher.c's `runtime_settings`); test/unit/environment.test.ts keeps them equal. */
export const runtimeSettings: ReadonlyArray<string> = [
  "BUN_JSC_useConcurrentJIT=0",
  "BUN_JSC_useConcurrentGC=0",
  "BUN_JSC_numberOfGCMarkers=1",
  "BUN_JSC_useWarmUpMarkedBlocks=0",
  "BUN_JSC_useBaselineJIT=0"
]

/**
 * Names the descriptor of a `--background` copy's status pipe (see
 * cli/background.ts). sipid's own: the job never sees it.
 */
export const statusFdVariable = "SIPID_RUN_STATUS_FD"

export type Environment = Readonly<Record<string, string>>

/** What the launcher adds when the caller's working directory was deleted (launcher.c's `cwd_deleted`). */
export const cwdDeletedSetting = "SIPID_CWD_DELETED=1"

/**
 * The environment sipid's caller gave it. `launched`: sipid runs behind the
 * launcher (the release executable), whose changes are undone; a variable
 * the caller named SIPID_HIDDEN_X itself was hidden again by the launcher
 * (SIPID_HIDDEN_SIPID_HIDDEN_X), so one prefix always comes off.
 */
export const callersEnvironment = (env: Readonly<Record<string, string | undefined>>, launched: boolean): Environment => {
  const entries = Object.entries(env).flatMap(([name, value]) => {
    if (value === undefined || name === statusFdVariable) return []
    if (!launched) return [[name, value] as const]
    if (runtimeSettings.includes(`${name}=${value}`) || `${name}=${value}` === cwdDeletedSetting) return []
    return [[name.startsWith(hiddenMark) ? name.slice(hiddenMark.length) : name, value] as const]
  })
  return Object.fromEntries(entries)
}

/** The user `--user` names, as far as the environment is concerned. */
export interface EnvironmentUser {
  readonly name: string
  readonly home: string
}

/** The job's environment, from the caller's (see the module's comment). */
export const jobEnvironment = (options: {
  readonly callers: Environment
  readonly clear: boolean
  readonly user: EnvironmentUser | undefined
  readonly set: ReadonlyArray<readonly [name: string, value: string]>
}): Environment => ({
  ...(options.clear ? {} : options.callers),
  ...(options.user && { HOME: options.user.home, USER: options.user.name, LOGNAME: options.user.name }),
  ...Object.fromEntries(options.set)
})

/** `NAME=VALUE` lines for execve. */
export const environmentLines = (environment: Environment): ReadonlyArray<string> =>
  Object.entries(environment).map(([name, value]) => `${name}=${value}`)
