/**
 * Lets undici read past a `100 Continue` it did not ask for. undici treats
 * any 100 as a broken response and closes the connection, so a server that
 * sends one before its 200 looked like a server that never answered. RFC 9110
 * (15.2.1) lets a client discard it, and Go and curl do.
 *
 * HttpLayer sends one request per connection, so a 100 can only come first on
 * a connection: the socket's reads drop the leading `HTTP/1.x 100` heads and
 * then hand on everything else untouched.
 */
import type { Duplex } from "node:stream"

/** The start of a status line, `#` standing for any digit. */
const continueLine = "HTTP/#.# 100"

/** A head that never ends is no 100 to skip; undici then sees it and fails as before. */
const maxHeadBytes = 16 * 1024

const agreesWithContinue = (data: Buffer): boolean =>
  [...data.subarray(0, continueLine.length).toString("latin1")].every((char, i) =>
    continueLine[i] === "#" ? char >= "0" && char <= "9" : char === continueLine[i]
  )

/**
 * The leading whole 100 heads of `data`: how many bytes they take, and
 * whether what follows is settled (not a 100, or a head too long to be one)
 * or may still be the start of one.
 */
const scanContinues = (data: Buffer): { readonly skipped: number; readonly settled: boolean } => {
  let skipped = 0
  for (;;) {
    const rest = data.subarray(skipped)
    if (!agreesWithContinue(rest)) return { skipped, settled: true }
    if (rest.length <= continueLine.length) return { skipped, settled: false }
    // "HTTP/1.1 1000" is no 100: a reason phrase or the line's end follows the code.
    if (rest[continueLine.length] !== 0x20 && rest[continueLine.length] !== 0x0d) return { skipped, settled: true }
    const end = rest.indexOf("\r\n\r\n")
    if (end < 0) return { skipped, settled: rest.length > maxHeadBytes }
    skipped += end + 4
  }
}

/**
 * What follows the leading 100 heads of `data`, or undefined while the data
 * may still be (the start of) one.
 */
export const afterContinues = (data: Buffer): Buffer | undefined => {
  const { settled, skipped } = scanContinues(data)
  return settled ? data.subarray(skipped) : undefined
}

/** Makes `socket.read()`, which undici reads responses with, skip the leading 100 heads. */
export const skipInterimContinue = <S extends Duplex>(socket: S): S => {
  const read = socket.read.bind(socket)
  let held: Buffer | undefined = Buffer.alloc(0)
  socket.read = (size?: number) => {
    // size 0 is Node's own nudge to fill the buffer, which consumes nothing.
    if (held === undefined || size === 0) return read(size)
    for (let chunk: Buffer | null = read(); chunk !== null; chunk = read()) {
      const data: Buffer = Buffer.concat([held, chunk])
      const { settled, skipped } = scanContinues(data)
      if (settled) {
        held = undefined
        return data.subarray(skipped)
      }
      // Whole 100 heads are dropped at once: a server sending them without end costs each read
      // only the head in progress, never a copy and a scan of all it sent before.
      held = data.subarray(skipped)
    }
    return null
  }
  return socket
}
