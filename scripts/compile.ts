// Run by Bun (scripts/dist.mjs starts it): compiles the CLI into one
// executable for a BOSH VM with Bun's bundler, which only its own runtime
// can run. Arguments: OUTFILE TARGET BASE VERSION UNDICI, where BASE is the
// Bun executable the result is made from and UNDICI undici bundled as one
// file (bundle.mjs's bundleUndici).
const [outfile, target, base, version, undici] = process.argv.slice(2)

// Bun answers `undici` with a partial shim of its own (its Agent has no
// destroy), even for node_modules/undici named by path: the one module that
// imports it (@effect/platform-node's Undici, which re-exports it) becomes
// an ES module re-exporting the bundled file, name by name (a code-split
// bundle loses `export *` from CommonJS).
const realUndici: import("bun").BunPlugin = {
  name: "real-undici",
  setup(build) {
    const names = Object.keys(require(undici)).filter((name) => name !== "default" && /^[A-Za-z_$][\w$]*$/.test(name))
    build.onLoad({ filter: /@effect\/platform-node\/dist\/esm\/Undici\.js$/ }, () => ({
      contents: `import undici from ${JSON.stringify(undici)}\nexport default undici\nexport const { ${names.join(", ")} } = undici\n`,
      loader: "js"
    }))
  }
}

const result = await Bun.build({
  entrypoints: ["src/cli/bin.ts"],
  compile: {
    target,
    outfile,
    executablePath: base,
    // A BOSH job's working directory is not sipid's configuration: no .env, no bunfig.toml.
    autoloadDotenv: false,
    autoloadBunfig: false,
    autoloadTsconfig: false,
    autoloadPackageJson: false
  },
  bytecode: true,
  // ES modules in chunks: a command loads only the chunks it imports (the
  // HTTP stack, @effect/cli), and ESM bytecode starts fastest (measured).
  format: "esm",
  splitting: true,
  minify: { whitespace: true, syntax: true },
  // Loaded only under Node (the npm bin): the executable binds libc with bun:ffi.
  external: ["koffi"],
  define: { SIPID_VERSION: JSON.stringify(version) },
  plugins: [realUndici]
})
if (!result.success) {
  for (const log of result.logs) console.error(log)
  process.exit(1)
}
