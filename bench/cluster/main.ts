import { parseArgs } from 'node:util';
import {
  CLUSTER_BENCH_DEFAULTS,
  runClusterBench,
  TARGET_LABELS,
  type TargetKind,
} from './cluster-bench.js';

/**
 * `npm run bench:cluster` (through bench/cluster/bench-cluster.sh, which builds the
 * server and raises the open-files limit first). Exit code 0 when the run completed, 1
 * when it could not run: this benchmark has no targets, it documents a cost.
 */

const d = CLUSTER_BENCH_DEFAULTS;
const USAGE = `usage: npm run bench:cluster -- [options]

  --targets a,b      setups to measure, in order (${d.targets.join(',')})
  --links <n>        links created per setup (${d.links})
  --duration <s>     seconds of the measured redirect phase (${d.durationS})
  --devices <n>      1:1 devices, in pairs (${d.devices})
  --step <s>         seconds each 1:1 rate is measured (${d.stepS})
  --start-rate <n>   first 1:1 rate, messages/s (${d.search.start})
  --reference-rate <n>  the 1:1 rate every setup's CPU per message is compared at (${d.referenceRate})
  --dry-run          print the tables without writing docs/benchmarks.md
  --no-build         (bench-cluster.sh) run the server as last built
`;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      targets: { type: 'string' },
      links: { type: 'string' },
      duration: { type: 'string' },
      devices: { type: 'string' },
      step: { type: 'string' },
      'start-rate': { type: 'string' },
      'reference-rate': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const targets = (values.targets?.split(',') ?? d.targets) as TargetKind[];
  for (const target of targets) {
    if (!(target in TARGET_LABELS)) throw new Error(`unknown target ${JSON.stringify(target)}`);
  }
  const devices = Math.round(positive('devices', values.devices, d.devices));
  if (devices % 2 !== 0) throw new Error('--devices must be even (they talk in pairs)');
  await runClusterBench({
    ...d,
    targets,
    links: Math.round(positive('links', values.links, d.links)),
    durationS: positive('duration', values.duration, d.durationS),
    devices,
    stepS: positive('step', values.step, d.stepS),
    search: {
      ...d.search,
      start: Math.round(positive('start-rate', values['start-rate'], d.search.start)),
    },
    referenceRate: Math.round(
      positive('reference-rate', values['reference-rate'], d.referenceRate),
    ),
    write: !values['dry-run'],
    log: (line) => process.stdout.write(`${line}\n`),
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench:cluster failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
