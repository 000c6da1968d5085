import type { RateSearchOptions, RateStep } from '../chat/rate-search.js';
import type { HttpLoadResult } from '../lib/http-load.js';
import { renderTable } from '../lib/markdown.js';
import { formatMs, formatNumber, formatPercent, microsPerUnit } from '../lib/verdict.js';
import type { GroupReading } from './process-groups.js';

/** One measured HTTP phase: the load and the CPU of each group of processes meanwhile. */
export interface PhaseResult {
  readonly load: HttpLoadResult;
  readonly reading: GroupReading;
}

/** One offered 1:1 rate and what it cost. */
export interface ChatStep extends RateStep {
  readonly p50: number;
  readonly sentP99: number;
  readonly reading: GroupReading;
  readonly failure: string | null;
}

/** Everything measured on one setup. */
export interface TargetResult {
  readonly kind: string;
  readonly label: string;
  readonly creation: PhaseResult;
  readonly cached: PhaseResult;
  readonly chat: {
    readonly steps: readonly ChatStep[];
    readonly best: ChatStep | null;
    /** The reference rate, measured after the search: the CPU per message compared. */
    readonly reference: ChatStep;
  };
}

/** The whole run, setups in the order measured. */
export interface ClusterBenchResult {
  readonly targets: readonly TargetResult[];
}

/** The groups of processes, in the order the report lists them. */
const SETUP_GROUPS = ['nodes', 'HAProxy', 'PostgreSQL', 'Redis', 'inbox Redis ×2', 'NATS'];

function setupCores(reading: GroupReading): number {
  return SETUP_GROUPS.reduce((sum, group) => sum + (reading.cores.get(group) ?? 0), 0);
}

/** The setup's CPU time per unit of work, in µs: every process of the setup, generator excluded. */
export function setupMicros(reading: GroupReading, perSecond: number): number {
  return microsPerUnit(setupCores(reading), perSecond);
}

function µs(value: number): string {
  return Number.isFinite(value) ? `${formatNumber(value)} µs` : '—';
}

function cpuTable(
  title: string,
  targets: readonly TargetResult[],
  pick: (t: TargetResult) => { reading: GroupReading; rate: number } | null,
): string {
  const columns = [
    { header: title },
    ...targets.map((t) => ({ header: t.label, align: 'right' as const })),
  ];
  const picked = targets.map(pick);
  const present = SETUP_GROUPS.filter((group) => picked.some((p) => p?.reading.cores.has(group)));
  const rows = present.map((group) => [
    group,
    ...picked.map((p) =>
      p && p.reading.cores.has(group)
        ? µs(microsPerUnit(p.reading.cores.get(group)!, p.rate))
        : '—',
    ),
  ]);
  const totals = picked.map((p) => (p ? setupMicros(p.reading, p.rate) : Number.NaN));
  rows.push(['**the whole setup**', ...totals.map((t) => `**${µs(t)}**`)]);
  const base = totals[0];
  if (base !== undefined && Number.isFinite(base)) {
    rows.push([
      '… relative to the first column',
      ...totals.map((t) => (Number.isFinite(t) ? formatPercent(t / base) : '—')),
    ]);
  }
  rows.push([
    'generator / others (cores)',
    ...picked.map((p) =>
      p
        ? `${(p.reading.cores.get('generator') ?? 0).toFixed(2)} / ${p.reading.otherCores.toFixed(2)}`
        : '—',
    ),
  ]);
  return renderTable(columns, rows);
}

/**
 * The cost of a message at the margin, and the fixed cost of the connected devices: a
 * least-squares line through (rate, cores) over every step that delivered what was
 * offered (an overloaded step measures the queue, not the cost). A single rate
 * cannot separate the two, since at a low rate the heartbeats and timers of a thousand
 * idle sockets weigh as much as the messages.
 */
export function marginalCost(
  steps: readonly ChatStep[],
  cores: (reading: GroupReading) => number,
): { micros: number; fixedCores: number; points: number } {
  const points = steps
    .filter((s) => s.delivered >= 0.95 * s.offered && s.lost === 0)
    .map((s) => ({ x: s.delivered, y: cores(s.reading) }));
  const n = points.length;
  const rates = new Set(points.map((p) => Math.round(p.x)));
  if (n < 2 || rates.size < 2) return { micros: Number.NaN, fixedCores: Number.NaN, points: n };
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const slope = sxy / sxx;
  return { micros: slope * 1e6, fixedCores: my - slope * mx, points: n };
}

function marginalTable(targets: readonly TargetResult[]): string {
  const all = (t: TargetResult) => [...t.chat.steps, t.chat.reference];
  const columns = [
    { header: 'per 1:1 message, at the margin' },
    ...targets.map((t) => ({ header: t.label, align: 'right' as const })),
  ];
  const present = SETUP_GROUPS.filter((group) =>
    targets.some((t) => all(t).some((s) => s.reading.cores.has(group))),
  );
  const cell = (t: TargetResult, cores: (r: GroupReading) => number, has: boolean) =>
    has ? µs(marginalCost(all(t), cores).micros) : '—';
  const rows = present.map((group) => [
    group,
    ...targets.map((t) =>
      cell(
        t,
        (r) => r.cores.get(group) ?? 0,
        all(t).some((s) => s.reading.cores.has(group)),
      ),
    ),
  ]);
  const totals = targets.map((t) => marginalCost(all(t), setupCores));
  rows.push(['**the whole setup**', ...totals.map((c) => `**${µs(c.micros)}**`)]);
  const base = totals[0]?.micros;
  if (base !== undefined && Number.isFinite(base)) {
    rows.push([
      '… relative to the first column',
      ...totals.map((c) => (Number.isFinite(c.micros) ? formatPercent(c.micros / base) : '—')),
    ]);
  }
  rows.push([
    'fixed: cores with the devices connected, before any message',
    ...totals.map((c) => (Number.isFinite(c.fixedCores) ? c.fixedCores.toFixed(2) : '—')),
  ]);
  rows.push(['rates fitted', ...totals.map((c) => String(c.points))]);
  return renderTable(columns, rows);
}

function stepsTable(target: TargetResult): string {
  return renderTable(
    [
      { header: 'offered', align: 'right' },
      { header: 'delivered', align: 'right' },
      { header: 'p50', align: 'right' },
      { header: 'p99', align: 'right' },
      { header: 'send→sent p99', align: 'right' },
      { header: 'setup CPU', align: 'right' },
      { header: 'CPU per message', align: 'right' },
      { header: 'others', align: 'right' },
      { header: 'sustained' },
    ],
    target.chat.steps.map((s) => [
      `${formatNumber(s.offered)}/s`,
      `${formatNumber(s.delivered)}/s`,
      formatMs(s.p50),
      formatMs(s.p99),
      formatMs(s.sentP99),
      `${setupCores(s.reading).toFixed(2)} cores`,
      µs(setupMicros(s.reading, s.delivered)),
      s.reading.otherCores.toFixed(2),
      s.failure === null ? 'yes' : `no: ${s.failure}`,
    ]),
  );
}

/** Renders the section of docs/benchmarks.md: throughput, CPU by process, the rate searches. */
export function renderClusterSection(
  result: ClusterBenchResult,
  options: {
    readonly hotCodes: number;
    readonly connections: number;
    readonly search: RateSearchOptions;
  },
  header: string,
): { body: string } {
  const { targets } = result;
  const columns = [
    { header: 'measurement' },
    ...targets.map((t) => ({ header: t.label, align: 'right' as const })),
  ];
  const latency = (p50: number, p99: number) => `${formatMs(p50)} / ${formatMs(p99)}`;
  const best = (t: TargetResult) => t.chat.best;
  const rows: string[][] = [
    [
      `Redirects, ${formatNumber(options.hotCodes)} cached codes, ${options.connections} connections`,
      ...targets.map((t) => `${formatNumber(t.cached.load.rate)} req/s`),
    ],
    [
      '… latency p50 / p99',
      ...targets.map((t) => latency(t.cached.load.latency.p50, t.cached.load.latency.p99)),
    ],
    [
      `Link creation, ${options.connections} connections`,
      ...targets.map((t) => `${formatNumber(t.creation.load.rate)} links/s`),
    ],
    [
      '… latency p50 / p99',
      ...targets.map((t) => latency(t.creation.load.latency.p50, t.creation.load.latency.p99)),
    ],
    [
      `1:1 delivered and acked: highest rate held (p99 ≤ ${options.search.p99MaxMs} ms)`,
      ...targets.map((t) => (best(t) ? `${formatNumber(best(t)!.delivered)} msg/s` : 'none held')),
    ],
    [
      '… end-to-end latency p50 / p99 at that rate',
      ...targets.map((t) => (best(t) ? latency(best(t)!.p50, best(t)!.p99) : '')),
    ],
    ['… send → `sent` p99', ...targets.map((t) => (best(t) ? formatMs(best(t)!.sentP99) : ''))],
  ];
  const body = [
    '## Cluster: the scale-out path on one machine',
    '',
    header,
    '',
    renderTable(columns, rows),
    '',
    '**What 2 cores can and cannot show.** The load generator, HAProxy, PostgreSQL, the',
    'Redis servers, NATS and every node share the same two cores, so a second node cannot',
    'add capacity here: it competes for the cores the first one had, and the throughput',
    'columns mostly show how the machine’s two cores were shared. What these figures do',
    'show is that the scale-out path works under load (every message delivered exactly',
    'once and in order, every redirect answered) and what it costs: the CPU time each',
    'request or message takes across every process it touches, below. That cost, not the',
    'throughput on this machine, is what docs/scaling.md sizes a real deployment from,',
    'where nodes, engines and the balancer each have machines of their own.',
    '',
    '### CPU per request and per message, by process',
    '',
    'CPU time each unit of work cost every process of the setup (µs of one core), over the',
    'measured window; the generator and the rest of the machine are given in cores.',
    'Redirects and creations are at the highest rate each setup reached. The 1:1 figures',
    'are at one rate every setup holds, measured after its search, since a message costs',
    'less as the rate grows (commits batch more); a dash means that rate did not hold.',
    '',
    cpuTable('per cached redirect', targets, (t) => ({
      reading: t.cached.reading,
      rate: t.cached.load.rate,
    })),
    '',
    cpuTable('per link created', targets, (t) => ({
      reading: t.creation.reading,
      rate: t.creation.load.rate,
    })),
    '',
    cpuTable(
      `per 1:1 message at ${formatNumber(targets[0]?.chat.reference.offered ?? 0)} msg/s`,
      targets,
      (t) =>
        t.chat.reference.failure === null
          ? { reading: t.chat.reference.reading, rate: t.chat.reference.delivered }
          : null,
    ),
    '',
    'The same messages at the margin: the slope of CPU against the delivered rate over',
    'every rate that was delivered in full (the search’s and the reference), with the',
    'intercept, the cost of keeping the devices connected, apart. Noisier than one step',
    'when "others" is high, but the figure to size from: it is what one more message costs.',
    '',
    marginalTable(targets),
    ...targets.flatMap((t) => ['', `### The 1:1 rate search, ${t.label}`, '', stepsTable(t)]),
  ];
  return { body: body.join('\n') };
}
