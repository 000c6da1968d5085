import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CHAT_DEFAULTS, runChatBench } from './chat/chat-bench.js';
import type { CpuProfile } from './lib/cpu-profile.js';
import { profileTables } from './lib/report.js';
import { LINKS_DEFAULTS, runLinksBench } from './links/links-bench.js';

/**
 * The benchmarks' command line, run by bench/bin/bench.sh (which builds the server and
 * raises the open-files limit first). Exit code: 0 when every target was met, 3 when
 * the run completed but missed a target, 1 when it could not run.
 */

const USAGE = `usage: bench.sh <links|chat|all> [options]
       bench.sh profile <file.cpuprofile>   (summarise a saved profile)

  --duration <s>     seconds per measured phase or rate
                     (links: ${LINKS_DEFAULTS.durationS}, chat: ${CHAT_DEFAULTS.stepS})
  --warmup <s>       seconds of unmeasured warm-up before each
                     (links: ${LINKS_DEFAULTS.warmupS}, chat: ${CHAT_DEFAULTS.warmupS})
  links:
  --connections <n>  HTTP connections (${LINKS_DEFAULTS.connections})
  --links <n>        links created per server (${LINKS_DEFAULTS.links})
  --cache-size <n>   LINK_CACHE_SIZE for the uniform run (${LINKS_DEFAULTS.cacheSize})
  chat:
  --workers <n>      load-generator processes (${CHAT_DEFAULTS.workers})
  --devices <n>      devices of the 1:1 run, in pairs (${CHAT_DEFAULTS.sizes.direct})
  --idle <n>         idle connections of the memory run (${CHAT_DEFAULTS.sizes.idle})
  --backlog <n>      messages in the offline backlog (${CHAT_DEFAULTS.backlog})
  --start-rate <n>   first rate of the 1:1 search, messages/s (${CHAT_DEFAULTS.search.start})
  all:
  --profile          profile the server during each phase; tables in the report,
                     raw .cpuprofile files in bench/profiles/
  --baseline-only    measure the baselines only (checks the machine and the generator)
  --dry-run          print the tables without writing docs/benchmarks.md
  --no-build         (bench.sh) run the server as last built
`;

function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      links: { type: 'string' },
      'cache-size': { type: 'string' },
      workers: { type: 'string' },
      devices: { type: 'string' },
      idle: { type: 'string' },
      backlog: { type: 'string' },
      'start-rate': { type: 'string' },
      profile: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      'baseline-only': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const which = positionals[0];
  if (which === 'profile' && positionals.length === 2) {
    const file = path.resolve(positionals[1]!);
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    process.stdout.write(`${profileTables(profile, path.basename(file, '.cpuprofile'), file)}\n`);
    return 0;
  }
  if (values.help || positionals.length !== 1 || !['links', 'chat', 'all'].includes(which ?? '')) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 1;
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  let pass = true;
  if (which === 'links' || which === 'all') {
    // Not `&&=`: a missed links target must not skip the chat benchmark.
    const linksPass = await runLinksBench({
      durationS: positiveNumber('duration', values.duration, LINKS_DEFAULTS.durationS),
      warmupS: positiveNumber('warmup', values.warmup, LINKS_DEFAULTS.warmupS),
      connections: Math.round(
        positiveNumber('connections', values.connections, LINKS_DEFAULTS.connections),
      ),
      links: Math.round(positiveNumber('links', values.links, LINKS_DEFAULTS.links)),
      cacheSize: Math.round(
        positiveNumber('cache-size', values['cache-size'], LINKS_DEFAULTS.cacheSize),
      ),
      hotCodes: LINKS_DEFAULTS.hotCodes,
      profile: values.profile,
      write: !values['dry-run'] && !values['baseline-only'],
      baselineOnly: values['baseline-only'],
      log,
    });
    pass = pass && linksPass;
  }
  if (which === 'chat' || which === 'all') {
    const integer = (name: string, value: string | undefined, fallback: number) =>
      Math.round(positiveNumber(name, value, fallback));
    const chatPass = await runChatBench({
      ...CHAT_DEFAULTS,
      sizes: {
        ...CHAT_DEFAULTS.sizes,
        direct: integer('devices', values.devices, CHAT_DEFAULTS.sizes.direct),
        idle: integer('idle', values.idle, CHAT_DEFAULTS.sizes.idle),
      },
      backlog: integer('backlog', values.backlog, CHAT_DEFAULTS.backlog),
      workers: integer('workers', values.workers, CHAT_DEFAULTS.workers),
      stepS: positiveNumber('duration', values.duration, CHAT_DEFAULTS.stepS),
      warmupS: positiveNumber('warmup', values.warmup, CHAT_DEFAULTS.warmupS),
      search: {
        ...CHAT_DEFAULTS.search,
        start: integer('start-rate', values['start-rate'], CHAT_DEFAULTS.search.start),
      },
      profile: values.profile,
      write: !values['dry-run'] && !values['baseline-only'],
      baselineOnly: values['baseline-only'],
      log,
    });
    pass = pass && chatPass;
  }
  return pass ? 0 : 3;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
