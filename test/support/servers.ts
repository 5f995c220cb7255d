/** Servers for health checks, on 127.0.0.1 unless asked otherwise: plain, TLS with a self-signed certificate, a forward proxy. */
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import * as net from "node:net"
import { join } from "node:path"

/** Makes servers whose files live in `dir`; `closeAll` stops every one of them. */
export const testServers = (dir: string) => {
  const closers: Array<() => void> = []

  /** Closes `server` and its connections with the others. */
  const track = (server: net.Server) => {
    const sockets = new Set<net.Socket>()
    // sipid hangs up on what it does not need (a body it will not read): a reset is no test's failure.
    server.on("connection", (socket: net.Socket) => sockets.add(socket.on("error", () => {})))
    server.on("secureConnection", (socket: net.Socket) => sockets.add(socket))
    closers.push(() => {
      for (const socket of sockets) socket.destroy()
      server.close()
    })
  }

  /** Starts `server` on `port` of `host`, a free one by default, and answers the port. */
  const listen = async (server: net.Server, host = "127.0.0.1", port = 0): Promise<number> => {
    await new Promise<void>((resolve) => server.listen(port, host, resolve))
    track(server)
    return (server.address() as net.AddressInfo).port
  }

  /** Starts `server` on the unix socket `path`. */
  const listenAt = async (server: net.Server, path: string): Promise<void> => {
    await new Promise<void>((resolve) => server.listen(path, resolve))
    track(server)
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

  /**
   * A forward proxy that sends everything to 127.0.0.1, so made-up host names
   * are never resolved. A plain request in absolute form (`GET
   * http://host:port/path`) is forwarded; CONNECT is answered as `connect`
   * says: open the tunnel, refuse it with a status (squid refuses CONNECT to
   * any port but 443), hang up without a word, or never answer. `tunnels`
   * lists the CONNECT targets, `forwarded` the absolute-form targets. With
   * `pem`, clients speak TLS to the proxy itself.
   */
  const connectProxy = async (
    options: { readonly connect?: "tunnel" | number | "hang up" | "silent"; readonly pem?: { cert: Buffer | string; key: Buffer | string } } = {}
  ) => {
    const tunnels: Array<string> = []
    const forwarded: Array<string> = []
    const forward = (request: http.IncomingMessage, response: http.ServerResponse) => {
      forwarded.push(request.url!)
      if (!URL.canParse(request.url!)) return response.writeHead(400).end()
      const target = new URL(request.url!)
      const upstream = http.request(
        { host: "127.0.0.1", port: target.port || 80, path: target.pathname + target.search, headers: request.headers },
        (answer) => answer.pipe(response.writeHead(answer.statusCode!, answer.headers))
      )
      upstream.on("error", () => response.writeHead(502).end())
      upstream.end()
    }
    const proxy = options.pem === undefined ? http.createServer(forward) : https.createServer(options.pem, forward)
    proxy.on("connect", (request: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      tunnels.push(request.url!)
      const answer = options.connect ?? "tunnel"
      if (answer === "silent") return
      if (answer === "hang up") return socket.destroy()
      if (typeof answer === "number") return socket.end(`HTTP/1.1 ${answer} Refused\r\n\r\n`)
      const upstream = net.connect(Number(request.url!.split(":").at(-1)), "127.0.0.1", () => {
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n")
        upstream.write(head)
        upstream.pipe(socket).pipe(upstream)
      })
      upstream.on("error", () => socket.destroy())
    })
    return { url: `${options.pem === undefined ? "http" : "https"}://127.0.0.1:${await listen(proxy)}`, tunnels, forwarded }
  }

  /** Stops the server started last. */
  const closeLast = () => closers.pop()?.()
  const closeAll = () => {
    for (const close of closers.splice(0)) close()
  }

  return { listen, listenAt, selfSigned, connectProxy, closeLast, closeAll }
}
