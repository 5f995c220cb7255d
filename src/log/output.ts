/**
 * sipid's writes to stdout and stderr are best effort: a log line that cannot
 * be written (stderr on a full disk, a pipe whose reader has gone, a closed
 * stream) is dropped, and never changes what sipid does or its exit code.
 * A BOSH job's logs live on a disk that fills up.
 */
import { writeSync } from "node:fs"

/** How long one line may wait for a non-blocking pipe that is full (EAGAIN) before it is dropped. */
const fullPipePatienceMs = 1000

const sleepMs = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/**
 * Writes `text` to `fd` synchronously, so a line is out before the process
 * exits. Node makes a stdio pipe non-blocking once its stream object exists,
 * so a full pipe answers EAGAIN: wait a little, then give up on the line.
 */
const writeBestEffort = (fd: number, text: string): void => {
  let rest = Buffer.from(text)
  let waitedMs = 0
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN" || waitedMs >= fullPipePatienceMs) return
      sleepMs(1)
      waitedMs++
    }
  }
}

export const writeStdout = (text: string): void => writeBestEffort(1, text)
export const writeStderr = (text: string): void => writeBestEffort(2, text)

/**
 * Node's stream objects report a failed write (EPIPE, ENOSPC) as an 'error'
 * event, which would end the process as an uncaught exception; whatever
 * still writes through them (the console, @effect/cli's help) is best effort too.
 */
export const ignoreStreamErrors = (): void => {
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {})
}
