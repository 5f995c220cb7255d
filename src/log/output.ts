/**
 * sipid's writes to stdout and stderr are best effort: a log line that cannot
 * be written (stderr on a full disk, a pipe whose reader has gone, a closed
 * stream) is dropped, and never changes what sipid does or its exit code.
 * A BOSH job's logs live on a disk that fills up.
 */
import { writeSync } from "node:fs"
import { performance } from "node:perf_hooks"

/**
 * How long the whole process may wait, in all, for full pipes (EAGAIN)
 * before it drops lines at once. Per line, a reader that never comes back
 * (`2>&1 | sleep 100`) would cost a stop of a thousand-process job a second a
 * line, far past monit's 30 s.
 */
export const fullPipeBudgetMs = 300

/** What the writer needs from the system, so tests can play a full pipe and a clock. */
export interface WriteSystem {
  /** `fs.writeSync`: the bytes written, or a throw with the errno's code. */
  readonly write: (fd: number, bytes: Uint8Array) => number
  readonly sleep: (ms: number) => void
  /** Milliseconds on a monotonic clock. */
  readonly now: () => number
}

/**
 * Writes text to a file descriptor synchronously, so a line is out before the
 * process exits, and answers whether all of it was written. Node makes a
 * stdio pipe non-blocking once its stream object exists, so a full pipe
 * answers EAGAIN: wait a little, from one budget shared by every write, then
 * give up on the line. A line given up halfway leaves its stream without a
 * newline; the next one written there starts with one.
 */
export const makeWriter = (system: WriteSystem, budgetMs: number): (fd: number, text: string) => boolean => {
  let patienceMs = budgetMs
  const midLine = new Set<number>()
  return (fd, text) => {
    const bytes = Buffer.from(midLine.has(fd) ? `\n${text}` : text)
    let written = 0
    while (written < bytes.length) {
      try {
        written += system.write(fd, bytes.subarray(written))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN" || patienceMs <= 0) break
        const before = system.now()
        system.sleep(1)
        patienceMs -= system.now() - before
      }
    }
    if (written > 0 && bytes[written - 1] === 0x0a) midLine.delete(fd)
    else if (written > 0) midLine.add(fd)
    return written === bytes.length
  }
}

const sleepMs = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

const write = makeWriter({ write: writeSync, sleep: sleepMs, now: () => performance.now() }, fullPipeBudgetMs)

export const writeStdout = (text: string): boolean => write(1, text)
export const writeStderr = (text: string): boolean => write(2, text)

/**
 * Node's stream objects report a failed write (EPIPE, ENOSPC) as an 'error'
 * event, which would end the process as an uncaught exception; whatever
 * still writes through them (the console, @effect/cli's help) is best effort too.
 */
export const ignoreStreamErrors = (): void => {
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {})
}
