import { Data } from "effect"

/**
 * Text that is not a health-check setting: a URL, a status range, a header (`sipid/health`'s parsers).
 * @since 0.1.0
 * @category errors
 */
export class InvalidProbeSetting extends Data.TaggedError("InvalidProbeSetting")<{
  readonly input: string
  /** The whole sentence: what is wrong with `input` and what to write instead. */
  readonly reason: string
}> {
  override get message(): string {
    return this.reason
  }
}

/**
 * A file `loadTls` reads, by the `TlsFiles` field that names it.
 * @since 0.2.0
 * @category errors
 */
export interface TlsFile {
  readonly field: "caCerts" | "clientCert" | "clientKey"
  readonly path: string
}

const fileNames: Record<TlsFile["field"], string> = { caCerts: "CA certificate", clientCert: "client certificate", clientKey: "client key" }

/**
 * TLS material `loadTls` cannot use: found before the first probe, so a
 * wrong file is not a probe failure repeated until the deadline.
 * @since 0.2.0
 * @category errors
 */
export class TlsFileInvalid extends Data.TaggedError("TlsFileInvalid")<{
  /** The file; or a client certificate and its key, which are judged together. */
  readonly files: ReadonlyArray<TlsFile>
  /** What is wrong with them, e.g. `cannot read it (ENOENT)`. */
  readonly reason: string
}> {
  override get message(): string {
    return tlsFileText(this, fileNames)
  }
}

/** The files, each by its name in `names`, and what is wrong with them: the message, or the CLI's line, which names its options. */
export const tlsFileText = (error: TlsFileInvalid, names: Record<TlsFile["field"], string>): string =>
  `${error.files.map((file) => `${names[file.field]} ${file.path}`).join(", ")}: ${error.reason}`
