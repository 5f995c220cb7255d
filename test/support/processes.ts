/**
 * Processes a test starts and therefore may signal. Everything started here
 * is SIGKILLed by `stopAll`, so no test leaves a process behind.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"

const started = new Set<ChildProcess>()

/** A long-running process to claim a pidfile for. */
export const startSleeper = (): number => {
  const child = spawn("sleep", ["600"], { stdio: "ignore" })
  started.add(child)
  return child.pid!
}

/** A process that holds `flock(path)` until killed; resolves once it holds it. */
export const startLockHolder = async (path: string): Promise<ChildProcess> => {
  const child = spawn("python3", ["-c", "import fcntl,sys,time\nf=open(sys.argv[1],'a')\nfcntl.flock(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\ntime.sleep(600)", path], {
    stdio: ["ignore", "pipe", "inherit"]
  })
  started.add(child)
  await once(child.stdout!, "data")
  return child
}

export const stop = async (pid: number): Promise<void> => {
  const child = [...started].find((candidate) => candidate.pid === pid)
  if (child === undefined) throw new Error(`process ${pid} was not started by this test`)
  await kill(child)
}

export const kill = async (child: ChildProcess): Promise<void> => {
  started.delete(child)
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, "exit")
  child.kill("SIGKILL")
  await exited
}

export const stopAll = (): Promise<void> => Promise.all([...started].map(kill)).then(() => undefined)
