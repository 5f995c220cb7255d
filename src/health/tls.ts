/**
 * The TLS material named on the command line, read and checked once before
 * the first probe: a missing or malformed file is a usage error naming it,
 * not a probe failure repeated until the deadline.
 */
import { Effect } from "effect"
import { X509Certificate } from "node:crypto"
import { open } from "node:fs/promises"
import { createSecureContext, rootCertificates } from "node:tls"
import { UsageError } from "../cli/UsageError.js"

export interface TlsFiles {
  readonly caCerts: ReadonlyArray<string>
  readonly clientCert: string | undefined
  readonly clientKey: string | undefined
  readonly insecure: boolean
}

/** Node's `tls.connect` options for every connection a probe makes. */
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

const read = (option: string, path: string): Effect.Effect<string, UsageError> =>
  Effect.tryPromise({
    try: () => readAtMost(path),
    catch: (error) =>
      new UsageError({ detail: `${option} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})` })
  }).pipe(
    Effect.filterOrFail(
      (text) => text !== undefined,
      () => new UsageError({ detail: `${option} ${path}: larger than ${maxPemBytes / 1024 / 1024} MiB, so not a PEM file; is it the right file?` })
    )
  )

const check = (what: string, build: () => unknown): Effect.Effect<void, UsageError> =>
  Effect.try({
    try: build,
    catch: (error) => new UsageError({ detail: `${what} (${error instanceof Error ? error.message : String(error)})` })
  })

const pemCertificate = /-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g

// Node's `ca` silently skips what it cannot parse; a wrong file must not be ignored that way.
const checkCaBundle = (path: string, pem: string): Effect.Effect<void, UsageError> => {
  const certificates = pem.match(pemCertificate) ?? []
  return certificates.length === 0
    ? new UsageError({ detail: `--ca-cert ${path}: not a PEM certificate (no BEGIN CERTIFICATE block)` })
    : check(`--ca-cert ${path}: not a PEM certificate`, () => certificates.forEach((certificate) => new X509Certificate(certificate)))
}

export const loadTls = (files: TlsFiles): Effect.Effect<TlsOptions, UsageError> =>
  Effect.gen(function*() {
    if ((files.clientCert === undefined) !== (files.clientKey === undefined)) {
      return yield* new UsageError({ detail: "--client-cert and --client-key go together; pass both or neither" })
    }
    const ca = yield* Effect.forEach(files.caCerts, (path) => Effect.tap(read("--ca-cert", path), (pem) => checkCaBundle(path, pem)))
    // The line above refused one file without the other, so both are set or neither. Either side → false is equivalent
    // too, but not disabled: the whole test → true or false is killable.
    // Stryker disable next-line LogicalOperator: see above
    const pair = files.clientCert === undefined || files.clientKey === undefined ? undefined : {
      cert: yield* read("--client-cert", files.clientCert),
      key: yield* read("--client-key", files.clientKey)
    }
    if (pair !== undefined) {
      yield* check(
        `--client-cert ${files.clientCert}, --client-key ${files.clientKey}: not a PEM certificate and its private key`,
        () => createSecureContext(pair)
      )
    }
    return {
      // A plain `ca` replaces the system roots; a deployment CA should add to them.
      ...(ca.length > 0 && { ca: [...rootCertificates, ...ca] }),
      ...pair,
      rejectUnauthorized: !files.insecure
    }
  })
