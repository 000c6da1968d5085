import fs from 'node:fs';
import path from 'node:path';
import { summariseProfile, topFunctions, type CpuProfile } from './cpu-profile.js';
import { formatMachine, type Machine } from './machine.js';
import { renderTable, replaceSection } from './markdown.js';
import { ROOT } from './processes.js';
import { formatPercent } from './verdict.js';

/** The results page every benchmark writes its own section of. */
export const RESULTS_FILE = path.join(ROOT, 'docs/benchmarks.md');

const PAGE_HEADER = `# Benchmarks

Each section below is written by one command (\`npm run bench:links\`, \`npm run bench:chat\`)
and replaced as a whole when that command runs again; nothing between the markers should
be edited by hand. Every figure comes with a baseline measured in the same run, on the same
machine, with the same load generator, and the ratio between the two is what the targets
are set on: raw numbers move with the machine, ratios much less. bench/README.md explains
what each benchmark does and how to read it.
`;

/** Replaces section `name` of docs/benchmarks.md (creating the page if needed). */
export function writeResultsSection(name: string, body: string, file = RESULTS_FILE): void {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : PAGE_HEADER;
  const next = replaceSection(current, name, body);
  // Written beside and renamed, so that an interrupted write never truncates the page.
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, next);
  fs.renameSync(temporary, file);
}

/** The lines under a section's title: when, on what, and the command that made it. */
export function runHeader(command: string, machine: Machine, notes: readonly string[]): string {
  return [
    `Measured by \`${command}\` on ${formatMachine(machine)}.`,
    '',
    ...notes.map((note) => `- ${note}`),
  ].join('\n');
}

/** Where raw profiles are saved (ignored by git), to open in Chrome DevTools or speedscope. */
export const PROFILES_DIR = path.join(ROOT, 'bench/profiles');

/**
 * Saves a CPU profile as `bench/profiles/<label>.cpuprofile` and answers two tables:
 * the functions with the most self time, and self time by package or source file.
 */
export function profileReport(profile: CpuProfile, label: string, top = 15): string {
  fs.mkdirSync(PROFILES_DIR, { recursive: true });
  const file = path.join(PROFILES_DIR, `${label}.cpuprofile`);
  fs.writeFileSync(file, JSON.stringify(profile));
  return profileTables(profile, label, file, top);
}

/** The tables of `profileReport` for a profile saved in `file`. */
export function profileTables(profile: CpuProfile, label: string, file: string, top = 15): string {
  const summary = summariseProfile(profile, ROOT);
  const sampled = summary.busyMicros + summary.idleMicros;
  const lines = [
    `CPU profile of the server during "${label}" (${path.relative(ROOT, file)}): busy ${formatPercent(
      sampled > 0 ? summary.busyMicros / sampled : 0,
    )} of ${(sampled / 1e6).toFixed(1)} s sampled; shares are of the busy time.`,
    '',
    renderTable(
      [
        { header: 'self', align: 'right' },
        { header: 'total', align: 'right' },
        { header: 'function' },
        { header: 'where' },
      ],
      topFunctions(summary, top, 'self').map((f) => [
        formatShare(f.selfShare),
        formatShare(f.totalShare),
        f.name,
        f.location,
      ]),
    ),
    '',
    renderTable(
      [{ header: 'self', align: 'right' }, { header: 'code' }],
      summary.groups.slice(0, top).map((g) => [formatShare(g.selfShare), g.group]),
    ),
    '',
    'Busy time by the innermost function of our own code on the stack (with the library,',
    'runtime and native work it called): where a fix in this repository would go.',
    '',
    renderTable(
      [{ header: 'share', align: 'right' }, { header: 'function' }, { header: 'where' }],
      summary.ownCode.slice(0, top).map((o) => [formatShare(o.share), o.name, o.location]),
    ),
  ];
  return lines.join('\n');
}

function formatShare(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
