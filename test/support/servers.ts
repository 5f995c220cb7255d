/** Servers on 127.0.0.1 for health checks: plain, TLS with a self-signed certificate, a CONNECT proxy. */
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import { join } from "node:path"

/** Makes servers whose files live in `dir`; `closeAll` stops every one of them. */
export const testServers = (dir: string) => {
  const closers: Array<() => void> = []

  const listen = async (server: net.Server): Promise<number> => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const sockets = new Set<net.Socket>()
    server.on("connection", (socket: net.Socket) => sockets.add(socket))
    server.on("secureConnection", (socket: net.Socket) => sockets.add(socket))
    closers.push(() => {
      for (const socket of sockets) socket.destroy()
      server.close()
    })
    return (server.address() as net.AddressInfo).port
  }

  /** Creates a self-signed certificate for 127.0.0.1 with openssl. */
  const selfSigned = (name: string) => {
    const cert = join(dir, `${name}.crt`)
    const key = join(dir, `${name}.key`)
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
      "-subj", `/CN=${name}`, "-addext", "subjectAltName=IP:127.0.0.1,DNS:health.sipid.test", "-keyout", key, "-out", cert
    ], { stdio: "ignore" })
    return { cert, key, pem: { cert: readFileSync(cert), key: readFileSync(key) } }
  }

  /** A CONNECT proxy that sends every tunnel to 127.0.0.1, so made-up host names are never resolved. */
  const connectProxy = async () => {
    const tunnels: Array<string> = []
    const proxy = http.createServer((_, response) => response.writeHead(405).end())
    proxy.on("connect", (request: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      tunnels.push(request.url!)
      const upstream = net.connect(Number(request.url!.split(":").at(-1)), "127.0.0.1", () => {
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n")
        upstream.write(head)
        upstream.pipe(socket).pipe(upstream)
      })
      upstream.on("error", () => socket.destroy())
    })
    return { url: `http://127.0.0.1:${await listen(proxy)}`, tunnels }
  }

  /** Stops the server started last. */
  const closeLast = () => closers.pop()?.()
  const closeAll = () => {
    for (const close of closers.splice(0)) close()
  }

  return { listen, selfSigned, connectProxy, closeLast, closeAll }
}
