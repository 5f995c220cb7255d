/**
 * sipid's manual, from the same spec as its help (commands.ts): the man page
 * sipid(1), shipped in the release tarball, and docs/cli.md. Written here is
 * only what the help has no room for: the description, signals, the
 * environment and the files. One document, two renderings.
 */
import { globalOptions } from "./commands.js"
import { signalExitCode } from "./exitCodes.js"
import { label, meaningOf, sections, usageOf } from "./help.js"
import { type CommandSpec, optionsOf } from "./spec.js"

/** A part of the manual: prose, or rows of a term and what it means. */
type Block = { readonly paragraph: string } | { readonly rows: ReadonlyArray<readonly [term: string, meaning: string]> }

interface Section {
  readonly heading: string
  /** Set for a command's own part, under COMMANDS. */
  readonly command?: string
  readonly blocks: ReadonlyArray<Block>
}

const commandSection = (command: CommandSpec): Section => ({
  heading: command.name,
  command: command.name,
  blocks: [
    { paragraph: ["sipid", command.name, ...optionsOf(command).map(usageOf)].join(" ") },
    { paragraph: command.description },
    // Under the help's headings, where the command's options have them.
    ...sections(optionsOf(command)).flatMap(([group, members]): ReadonlyArray<Block> => [
      ...(optionsOf(command).some((option) => option.group !== undefined) ? [{ paragraph: `${group ?? "Options"}:` }] : []),
      { rows: members.map((option) => [label(option), meaningOf(option)] as const) }
    ]),
    { paragraph: "Exit status:" },
    { rows: command.exitCodes.map(([code, meaning]) => [String(code), meaning] as const) }
  ]
})

/** The manual as data; `renderMan` and `renderMarkdown` lay it out. */
export const manual = (commands: ReadonlyArray<CommandSpec>): ReadonlyArray<Section> => [
  { heading: "NAME", blocks: [{ paragraph: "sipid - pidfiles for BOSH jobs under monit, done safely" }] },
  { heading: "SYNOPSIS", blocks: commands.map((command) => ({ paragraph: `sipid ${command.name} [OPTIONS]` })) },
  {
    heading: "DESCRIPTION",
    blocks: [
      {
        paragraph: "sipid writes, reads and removes the pidfile through which monit tracks a BOSH job, and gates a job's start on its health. " +
          "A pidfile is written whole or not at all, under an flock(2) that claim and kill share, and holds PID and a newline, nothing else; " +
          "beside it, FILE.identity records who the process was, so that a PID reused by another process is never signalled. " +
          "Signals go through a pidfd, which cannot reach a process that takes over the PID later. " +
          "Log lines go to stderr, one per step; answers (status) go to stdout."
      },
      { rows: commands.map((command) => [command.name, command.summary] as const) }
    ]
  },
  { heading: "COMMANDS", blocks: [] },
  ...commands.map(commandSection),
  {
    heading: "OPTIONS OF EVERY COMMAND",
    blocks: [{ rows: globalOptions.map((option) => [label(option), option.meaning] as const) }]
  },
  {
    heading: "SIGNALS",
    blocks: [{
      paragraph: `SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 stop a command early and in order: it logs what it leaves behind, ` +
        `releases its lock, removes its temporary files and exits 128 + the signal's number (${signalExitCode.SIGTERM} for SIGTERM). ` +
        "A signal received before the command starts stops it before it does anything; one received after it finished changes nothing. " +
        "None of them opens a debugger or a listener."
    }]
  },
  {
    heading: "ENVIRONMENT",
    blocks: [{
      rows: [
        [
          "HTTP_PROXY, HTTPS_PROXY, NO_PROXY",
          "the proxies of wait-until-healthy and wait-until-unhealthy, lowercase too; a loopback address never goes through one"
        ],
        [
          "BUN_*, JSC_*, NODE_*, LD_*, MALLOC_*, MIMALLOC_*, GLIBC_TUNABLES",
          "meant for other programs: the release executable's launcher hides them from its runtime, so they change nothing"
        ]
      ]
    }]
  },
  {
    heading: "FILES",
    blocks: [{
      rows: [
        ["FILE", "the pidfile: PID and a newline, mode 0644, written whole by claim, removed by kill"],
        ["FILE.identity", "the claimed process's identity (start time, boot, autogroup): tells a reused PID from it"],
        [".FILE.*.tmp", "a claim's temporary file, locked while its writer lives; the next claim removes one left behind"]
      ]
    }]
  },
  { heading: "SEE ALSO", blocks: [{ paragraph: "monit(1), flock(1), start-stop-daemon(8), pidfd_open(2)" }] }
]

/** troff text: backslashes and dashes escaped, no line starting with a control character. */
const troff = (text: string) => text.replace(/\\/g, "\\e").replace(/-/g, "\\-").replace(/^([.'])/, "\\&$1")

const manBlock = (block: Block): string =>
  "paragraph" in block
    ? `.PP\n${troff(block.paragraph)}`
    : block.rows.map(([term, meaning]) => `.TP\n.B ${troff(term)}\n${troff(meaning)}`).join("\n")

/** sipid(1) in man(7) format. */
export const renderMan = (commands: ReadonlyArray<CommandSpec>, version: string): string =>
  [
    `.TH SIPID 1 "" "sipid ${version}" "User Commands"`,
    ...manual(commands).map((section) =>
      [section.command === undefined ? `.SH ${section.heading}` : `.SS ${troff(section.heading)}`, ...section.blocks.map(manBlock)].join("\n")
    )
  ].join("\n") + "\n"

const markdownCell = (text: string) => text.replace(/\|/g, "\\|")

const markdownBlock = (block: Block): string =>
  "paragraph" in block
    ? block.paragraph
    : ["| | |", "|---|---|", ...block.rows.map(([term, meaning]) => `| \`${markdownCell(term)}\` | ${markdownCell(meaning)} |`)].join("\n")

/** docs/cli.md: the same manual for reading on the web. */
export const renderMarkdown = (commands: ReadonlyArray<CommandSpec>): string =>
  [
    "<!-- Generated from src/cli/commands.ts and src/cli/manual.ts by npm run docs; test/unit/manual.test.ts checks it is current. -->",
    "# sipid(1)",
    ...manual(commands).map((section) =>
      [section.command === undefined ? `## ${section.heading}` : `### \`sipid ${section.heading}\``, ...section.blocks.map(markdownBlock)].join("\n\n")
    )
  ].join("\n\n") + "\n"
