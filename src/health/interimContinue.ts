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
 * What follows the leading 100 heads of `data`, or undefined while the data
 * may still be (the start of) one.
 */
export const afterContinues = (data: Buffer): Buffer | undefined => {
  let rest = data
  while (agreesWithContinue(rest)) {
    if (rest.length <= continueLine.length) return undefined
    // "HTTP/1.1 1000" is no 100: a reason phrase or the line's end follows the code.
    if (rest[continueLine.length] !== 0x20 && rest[continueLine.length] !== 0x0d) return rest
    const end = rest.indexOf("\r\n\r\n")
    if (end < 0) return rest.length > maxHeadBytes ? rest : undefined
    rest = rest.subarray(end + 4)
  }
  return rest
}

/** Makes `socket.read()`, which undici reads responses with, skip the leading 100 heads. */
export const skipInterimContinue = <S extends Duplex>(socket: S): S => {
  const read = socket.read.bind(socket)
  let held: Buffer | undefined = Buffer.alloc(0)
  socket.read = (size?: number) => {
    // size 0 is Node's own nudge to fill the buffer, which consumes nothing.
    if (held === undefined || size === 0) return read(size)
    for (let chunk: Buffer | null = read(); chunk !== null; chunk = read()) {
      held = Buffer.concat([held, chunk])
      const rest = afterContinues(held)
      if (rest !== undefined) {
        held = undefined
        return rest
      }
    }
    return null
  }
  return socket
}
