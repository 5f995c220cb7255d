import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { rootCertificates } from "node:tls"
import { reportText } from "../../../src/cli/advice.js"
import { loadTls, maxPemBytes, type TlsFiles } from "../../../src/health/tls.js"

const dir = mkdtempSync(join(tmpdir(), "sipid-tls-"))
const file = (name: string, content: string) => {
  writeFileSync(join(dir, name), content)
  return join(dir, name)
}
const pair = (name: string) => {
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", `/CN=${name}`,
    "-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.crt`)
  ], { stdio: "ignore" })
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) }
}
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const a = pair("a")
const b = pair("b")

const none: TlsFiles = { caCerts: [], clientCert: undefined, clientKey: undefined, insecure: false }
const refused = (files: Partial<TlsFiles>) => Effect.flip(loadTls({ ...none, ...files }))
/** The line the CLI logs: the files named by its options, as every usage error names one. */
const refusal = (files: Partial<TlsFiles>) => Effect.map(refused(files), reportText)

describe("loadTls", () => {
  it.effect("verifies with the system roots unless told otherwise", () =>
    Effect.gen(function*() {
      expect(yield* loadTls(none)).toEqual({ rejectUnauthorized: true })
      expect(yield* loadTls({ ...none, insecure: true })).toEqual({ rejectUnauthorized: false })
    }))

  it.effect("adds --ca-cert to the system roots instead of replacing them", () =>
    Effect.gen(function*() {
      const { ca } = yield* loadTls({ ...none, caCerts: [a.cert] })
      expect(ca).toHaveLength(rootCertificates.length + 1)
      expect(ca!.slice(0, -1)).toEqual(rootCertificates)
      const both = yield* loadTls({ ...none, caCerts: [a.cert, b.cert] })
      expect(both.ca!.slice(-2)).toEqual([readFileSync(a.cert, "utf8"), readFileSync(b.cert, "utf8")])
      expect(both.rejectUnauthorized).toBe(true)
    }))

  it.effect("reads a client certificate and its key", () =>
    Effect.gen(function*() {
      const tls = yield* loadTls({ ...none, clientCert: a.cert, clientKey: a.key })
      expect(tls).toEqual({ cert: readFileSync(a.cert, "utf8"), key: readFileSync(a.key, "utf8"), rejectUnauthorized: true })
    }))

  it.effect("reads a file up to its size limit, and no further", () =>
    Effect.gen(function*() {
      const pem = readFileSync(a.cert, "utf8")
      const atLimit = file("at-limit.crt", pem + "#".repeat(maxPemBytes - pem.length))
      expect((yield* loadTls({ ...none, caCerts: [atLimit] })).ca!.at(-1)!.length).toBe(maxPemBytes)
      const over = file("over.crt", pem + "#".repeat(maxPemBytes - pem.length + 1))
      for (const caCerts of [[over], ["/dev/zero"]]) {
        expect(yield* refusal({ caCerts })).toMatch(/^--ca-cert \S+: larger than 4 MiB, so not a PEM file; is it the right file\?$/)
      }
      expect(yield* refusal({ clientCert: a.cert, clientKey: "/dev/zero" })).toMatch(/^--client-key \/dev\/zero: larger than 4 MiB/)
    }))

  // Named by a label: a name holding the temporary directory's random path
  // differs between runs, and mutation testing matches tests by name.
  const refusals: ReadonlyArray<readonly [string, Partial<TlsFiles>, RegExp]> = [
    ["a missing CA file", { caCerts: [join(dir, "missing.crt")] }, /^--ca-cert \/.*\/missing\.crt: cannot read it \(ENOENT\)$/],
    ["an empty CA file", { caCerts: [file("empty.crt", "")] }, /^--ca-cert .*empty\.crt: not a PEM certificate \(no BEGIN CERTIFICATE block\)$/],
    ["a CA block that is no certificate", { caCerts: [file("junk.crt", "-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIFICATE-----\n")] }, /junk\.crt: not a PEM certificate \(/],
    [
      "a CA bundle with one bad certificate",
      { caCerts: [file("half.crt", `${readFileSync(a.cert, "utf8")}-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIFICATE-----\n`)] },
      /half\.crt: not a PEM certificate \(/
    ],
    ["a bad second CA file", { caCerts: [a.cert, file("empty2.crt", "")] }, /^--ca-cert .*empty2\.crt: not a PEM certificate \(no BEGIN CERTIFICATE block\)$/],
    ["a key that does not match the certificate", { clientCert: a.cert, clientKey: b.key }, /--client-cert .*a\.crt, --client-key .*b\.key: not a PEM certificate and its private key/],
    ["a missing client key", { clientCert: a.cert, clientKey: join(dir, "nokey") }, /--client-key .*nokey: cannot read it \(ENOENT\)/],
    ["a missing client certificate", { clientCert: join(dir, "nocert"), clientKey: a.key }, /^--client-cert .*nocert: cannot read it \(ENOENT\)$/]
  ]
  it.effect.each(refusals)("refuses %s", ([, files, message]) =>
    Effect.gen(function*() {
      expect(yield* refusal(files)).toMatch(message)
    }))

  // The CLI refuses a lone --client-cert or --client-key before (cli/programs/wait.ts).
  it.effect("states the facts without the CLI's options: the file by its role", () =>
    Effect.gen(function*() {
      expect((yield* refused({ clientCert: a.cert })).message).toBe(`client certificate ${a.cert}: no client key goes with it`)
      expect((yield* refused({ clientKey: a.key })).message).toBe(`client key ${a.key}: no client certificate goes with it`)
      expect((yield* refused({ caCerts: ["/nonexistent"] })).message).toBe("CA certificate /nonexistent: cannot read it (ENOENT)")
      expect(yield* refused({ clientCert: a.cert, clientKey: b.key })).toMatchObject({
        files: [{ field: "clientCert", path: a.cert }, { field: "clientKey", path: b.key }],
        message: expect.stringMatching(/^client certificate .*a\.crt, client key .*b\.key: not a PEM certificate and its private key \(/)
      })
    }))
})
