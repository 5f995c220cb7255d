#!/usr/bin/env node
// Runs the bundled CLI with the V8 code cache made at build time, which
// roughly halves the time spent compiling it. V8 rejects a cache made by
// another Node version, and the bundle then simply compiles as usual.
import { readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"
import { setFlagsFromString } from "node:v8"
import { Script } from "node:vm"

// undici parses HTTP in WebAssembly. V8 would optimise that module on a background
// thread that the process then waits for at exit (~90 ms); a health check makes
// a handful of requests, for which the baseline compiler is plenty.
setFlagsFromString("--liftoff-only")
// V8's memory reducer shrinks an idle heap with three full collections some
// 16 s after start-up: ~100 ms of CPU in the middle of a kill's 20 s grace, to
// give back a few MB that sipid, about to exit, would give back anyway.
setFlagsFromString("--no-memory-reducer-for-small-heaps")

const filename = fileURLToPath(new URL("../dist/bin/sipid.cjs", import.meta.url))
const cacheFile = `${filename}.cache`
let cachedData
try {
  cachedData = readFileSync(cacheFile)
} catch {
  // No cache (yet): compile from source.
}
const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(filename, "utf8")}\n})`
const script = new Script(source, { filename, cachedData })
if (process.env.SIPID_WRITE_CODE_CACHE === "1") {
  process.once("exit", () => writeFileSync(cacheFile, script.createCachedData()))
}
const module = { exports: {} }
script.runInThisContext().call(module.exports, module.exports, createRequire(filename), module, filename, dirname(filename))
