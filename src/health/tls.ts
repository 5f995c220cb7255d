/**
 * The TLS material named on the command line, read and checked once before
 * the first probe: a missing or malformed file is a TlsFileInvalid naming
 * it, not a probe failure repeated until the deadline.
 */
import { Effect } from "effect"
import { X509Certificate } from "node:crypto"
import { open } from "node:fs/promises"
import { createSecureContext, rootCertificates } from "node:tls"
import { type TlsFile, TlsFileInvalid } from "./errors.js"

/**
 * @since 0.1.0
 * @category options
 */
export interface TlsFiles {
  readonly caCerts: ReadonlyArray<string>
  readonly clientCert: string | undefined
  readonly clientKey: string | undefined
  readonly insecure: boolean
}

/**
 * Node's `tls.connect` options for every connection a probe makes.
 * @since 0.1.0
 * @category models
 */
export interface TlsOptions {
  readonly ca?: ReadonlyArray<string>
  readonly cert?: string
  readonly key?: string
  readonly rejectUnauthorized: boolean
}

/** A CA bundle of every public root is about 200 KiB; a file far larger is the wrong file, and must not fill memory. */
export const maxPemBytes = 4 * 1024 * 1024

/** The file's text, or undefined when it holds more than `maxPemBytes` (`/dev/zero` never ends). */
const readAtMost = async (path: string): Promise<string | undefined> => {
  const file = await open(path, "r")
  try {
    // One byte more than allowed tells a file at the limit from a longer one.
    const buffer = Buffer.alloc(maxPemBytes + 1)
    let length = 0
    for (let got = -1; got !== 0 && length < buffer.length; length += got) {
      got = (await file.read(buffer, length, buffer.length - length, null)).bytesRead
    }
    return length > maxPemBytes ? undefined : buffer.toString("utf8", 0, length)
  } finally {
    await file.close()
  }
}

const read = (file: TlsFile): Effect.Effect<string, TlsFileInvalid> =>
  Effect.tryPromise({
    try: () => readAtMost(file.path),
    catch: (error) => new TlsFileInvalid({ files: [file], reason: `cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})` })
  }).pipe(
    Effect.filterOrFail(
      (text) => text !== undefined,
      () => new TlsFileInvalid({ files: [file], reason: `larger than ${maxPemBytes / 1024 / 1024} MiB, so not a PEM file; is it the right file?` })
    )
  )

const check = (files: ReadonlyArray<TlsFile>, what: string, build: () => unknown): Effect.Effect<void, TlsFileInvalid> =>
  Effect.try({
    try: build,
    catch: (error) => new TlsFileInvalid({ files, reason: `${what} (${error instanceof Error ? error.message : String(error)})` })
  })

const pemCertificate = /-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g

// Node's `ca` silently skips what it cannot parse; a wrong file must not be ignored that way.
const checkCaBundle = (file: TlsFile, pem: string): Effect.Effect<void, TlsFileInvalid> => {
  const certificates = pem.match(pemCertificate) ?? []
  return certificates.length === 0
    ? new TlsFileInvalid({ files: [file], reason: "not a PEM certificate (no BEGIN CERTIFICATE block)" })
    : check([file], "not a PEM certificate", () => certificates.forEach((certificate) => new X509Certificate(certificate)))
}

/** The client certificate and its key, read and judged together; one without the other is refused. */
const clientPair = ({ clientCert, clientKey }: TlsFiles): Effect.Effect<{ cert: string; key: string } | undefined, TlsFileInvalid> => {
  if (clientCert === undefined) {
    return clientKey === undefined
      ? Effect.succeed(undefined)
      : new TlsFileInvalid({ files: [{ field: "clientKey", path: clientKey }], reason: "no client certificate goes with it" })
  }
  if (clientKey === undefined) return new TlsFileInvalid({ files: [{ field: "clientCert", path: clientCert }], reason: "no client key goes with it" })
  const files = [{ field: "clientCert", path: clientCert }, { field: "clientKey", path: clientKey }] as const
  return Effect.gen(function*() {
    const pair = { cert: yield* read(files[0]), key: yield* read(files[1]) }
    yield* check(files, "not a PEM certificate and its private key", () => createSecureContext(pair))
    return pair
  })
}

/**
 * @since 0.1.0
 * @category parsers
 */
export const loadTls = (files: TlsFiles): Effect.Effect<TlsOptions, TlsFileInvalid> =>
  Effect.gen(function*() {
    const ca = yield* Effect.forEach(files.caCerts, (path) => {
      const file: TlsFile = { field: "caCerts", path }
      return Effect.tap(read(file), (pem) => checkCaBundle(file, pem))
    })
    const pair = yield* clientPair(files)
    return {
      // A plain `ca` replaces the system roots; a deployment CA should add to them.
      ...(ca.length > 0 && { ca: [...rootCertificates, ...ca] }),
      ...pair,
      rejectUnauthorized: !files.insecure
    }
  })
