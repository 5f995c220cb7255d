// sipid's manual (src/cli/manual.ts), rendered from the CLI's spec: loads the
// TypeScript through esbuild, so scripts can use it without a build.
//
//   npm run docs   writes docs/cli.md (the man page goes into the release tarball, see dist.mjs)
import { build } from "esbuild"
import { writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

/** The manual module: `renderMan(commands, version)`, `renderMarkdown(commands)`, and `commands`. */
export const loadManual = async () => {
  const { outputFiles } = await build({
    stdin: { contents: 'export * from "./src/cli/manual.ts"; export { commands } from "./src/cli/commands.ts"', resolveDir: fileURLToPath(new URL("..", import.meta.url)), loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "node",
    write: false,
    logLevel: "warning"
  })
  return import(`data:text/javascript;base64,${Buffer.from(outputFiles[0].text).toString("base64")}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { commands, renderMarkdown } = await loadManual()
  writeFileSync(new URL("../docs/cli.md", import.meta.url), renderMarkdown(commands))
  console.log("docs/cli.md written")
}
