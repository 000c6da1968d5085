import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { assertStatuses, runHttpLoad, type HttpLoadResult } from '../lib/http-load.js';
import { InspectorSession } from '../lib/inspector.js';
import type { CpuProfile } from '../lib/cpu-profile.js';
import { describeMachine } from '../lib/machine.js';
import { renderTable } from '../lib/markdown.js';
import {
  CpuMeter,
  ROOT,
  TS_NODE_ARGS,
  startService,
  type ServiceProcess,
} from '../lib/processes.js';
import { profileReport, runHeader, writeResultsSection } from '../lib/report.js';
import { startSwitchboard } from '../lib/switchboard.js';
import {
  describeTarget,
  formatMs,
  formatNumber,
  formatPercent,
  formatVerdict,
  judge,
  microsPerUnit,
  type Target,
} from '../lib/verdict.js';
import { partition, sample, shuffle } from '../lib/sampling.js';
import { runRedirectLoad } from './redirect-load.js';

/** Settings of `npm run bench:links`; the defaults are the documented run. */
export interface LinksBenchOptions {
  /** Seconds each redirect measurement runs. */
  readonly durationS: number;
  /** Seconds of unmeasured load before each, to warm the JIT and the cache. */
  readonly warmupS: number;
  readonly connections: number;
  /** Links created (and then redirected to) on each server. */
  readonly links: number;
  /** LINK_CACHE_SIZE of the server: smaller than `links` for the uniform run. */
  readonly cacheSize: number;
  /** Codes of the cached run: few enough to stay in the cache. */
  readonly hotCodes: number;
  /** Profile the server during each phase (through the inspector) and report it. */
  readonly profile: boolean;
  /** Write the section of docs/benchmarks.md (otherwise only print it). */
  readonly write: boolean;
  /** Measure only the baseline: a check of the machine and the generator, nothing written. */
  readonly baselineOnly: boolean;
  readonly log: (line: string) => void;
}

/** The documented run: 64 connections, 10 s per redirect phase, 100,000 links. */
export const LINKS_DEFAULTS: Omit<LinksBenchOptions, 'log'> = {
  durationS: 10,
  warmupS: 2,
  connections: 64,
  links: 100_000,
  cacheSize: 10_000,
  hotCodes: 1_000,
  profile: false,
  write: true,
  baselineOnly: false,
};

/** The section of docs/benchmarks.md this benchmark owns. */
export const LINKS_SECTION = 'links';

const BENCH_USERNAME = 'bench_links';

/** One phase measured on one server. */
export interface Phase {
  readonly load: HttpLoadResult;
  /** Cores the server process used during the phase. */
  readonly serverCores: number;
  /** Cores the rest of the machine used meanwhile: the noise. */
  readonly otherCores: number;
}

/** Everything measured on one server. */
export interface LinksTargetResult {
  readonly creation: Phase;
  readonly cached: Phase;
  readonly uniform: Phase;
  readonly links: number;
  readonly profiles: string[];
}

/** How the benchmark reaches one server: its process, and the header that authenticates. */
interface Endpoint {
  readonly label: string;
  readonly service: ServiceProcess;
  readonly authorization: string | null;
}

async function measure(
  target: Endpoint,
  options: LinksBenchOptions,
  inspector: InspectorSession | null,
  label: string,
  run: () => Promise<HttpLoadResult>,
  profiles: string[],
): Promise<Phase> {
  const meter = new CpuMeter([target.service.pid, process.pid]);
  if (inspector) await inspector.startProfiling();
  meter.start();
  const load = await run();
  const reading = meter.stop();
  const serverCores = reading.cores.get(target.service.pid) ?? 0;
  if (inspector) {
    const profile: CpuProfile = await inspector.stopProfiling();
    profiles.push(profileReport(profile, `links-${target.label}-${label}`));
  }
  options.log(
    `  ${label}: ${formatNumber(load.rate)}/s, p50 ${formatMs(load.latency.p50)}, p99 ${formatMs(
      load.latency.p99,
    )}; server ${serverCores.toFixed(2)} cores, generator ${load.generatorCores.toFixed(
      2,
    )} cores, other processes ${reading.otherCores.toFixed(2)} cores`,
  );
  return { load, serverCores, otherCores: reading.otherCores };
}

/** Checks that a few codes redirect to the URL they were created for. */
async function verifyRedirects(baseUrl: string, codes: readonly string[]): Promise<void> {
  for (const code of sample(codes, 20)) {
    const response = await fetch(`${baseUrl}/${code}`, { redirect: 'manual' });
    await response.body?.cancel();
    const location = response.headers.get('location') ?? '';
    if (response.status !== 302 || !location.startsWith('https://example.com/bench/')) {
      throw new Error(`/${code} answered ${response.status} ${location}: not the link created`);
    }
  }
}

async function benchTarget(
  target: Endpoint,
  options: LinksBenchOptions,
): Promise<LinksTargetResult> {
  const { baseUrl } = target.service;
  const profiles: string[] = [];
  const inspector =
    options.profile && target.service.inspectorUrl !== null
      ? await InspectorSession.connect(target.service.inspectorUrl)
      : null;
  try {
    options.log(`${target.label}: creating ${formatNumber(options.links)} links`);
    const codes: string[] = [];
    const creation = await measure(
      target,
      options,
      inspector,
      'creation',
      () =>
        runHttpLoad({
          url: `${baseUrl}/api/links`,
          connections: options.connections,
          amount: options.links,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(target.authorization ? { authorization: target.authorization } : {}),
          },
          // A distinct URL per link, in case a server answers a repeated URL with its link.
          bodyFor: (n) => `{"url":"https://example.com/bench/${n}?utm_source=bench"}`,
          onBody: (status, body) => {
            if (status === 201) codes.push((JSON.parse(body) as { code: string }).code);
          },
        }),
      profiles,
    );
    assertStatuses(`${target.label} creation`, creation.load, [201]);
    if (new Set(codes).size !== options.links) {
      throw new Error(
        `${target.label}: ${codes.length} creations gave ${new Set(codes).size} distinct codes`,
      );
    }
    await verifyRedirects(baseUrl, codes);

    const hot = sample(codes, options.hotCodes);
    const hotPaths = partition(
      hot.map((c) => `/${c}`),
      options.connections,
    );
    // Every request is built before its run (see runRedirectLoad), on both servers.
    const redirect = (paths: string[][], durationS: number) =>
      runRedirectLoad({ url: baseUrl, connections: options.connections, durationS, paths });

    options.log(`${target.label}: redirects of ${formatNumber(hot.length)} cached codes`);
    await redirect(hotPaths, options.warmupS);
    const cached = await measure(
      target,
      options,
      inspector,
      'cached',
      () => redirect(hotPaths, options.durationS),
      profiles,
    );
    assertStatuses(`${target.label} cached redirects`, cached.load, [302]);

    const allPaths = partition(
      shuffle(codes).map((c) => `/${c}`),
      options.connections,
    );
    options.log(`${target.label}: redirects over all ${formatNumber(codes.length)} codes`);
    await redirect(allPaths, options.warmupS);
    const uniform = await measure(
      target,
      options,
      inspector,
      'uniform',
      () => redirect(allPaths, options.durationS),
      profiles,
    );
    assertStatuses(`${target.label} uniform redirects`, uniform.load, [302]);
    return { creation, cached, uniform, links: codes.length, profiles };
  } finally {
    await inspector?.close();
  }
}

async function registerBenchUser(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: BENCH_USERNAME,
      password: `bench-${randomBytes(12).toString('base64url')}`,
      deviceName: 'bench:links',
    }),
  });
  const text = await response.text();
  if (response.status !== 201) {
    throw new Error(`registering the benchmark account answered ${response.status}: ${text}`);
  }
  return (JSON.parse(text) as { token: string }).token;
}

function latencyCell(phase: Phase): string {
  return `${formatMs(phase.load.latency.p50)} / ${formatMs(phase.load.latency.p99)}`;
}

/** Renders the results table and its notes: the section of docs/benchmarks.md. */
export function renderLinksSection(
  server: LinksTargetResult,
  baseline: LinksTargetResult,
  options: Omit<LinksBenchOptions, 'log'>,
  header: string,
): { body: string; pass: boolean } {
  const rows: string[][] = [];
  let pass = true;
  const row = (what: string, figure: number, base: number, unit: string, target: Target | null) => {
    const verdict = target ? judge(figure, base, target) : null;
    if (verdict && !verdict.pass) pass = false;
    rows.push([
      what,
      `${formatNumber(figure)} ${unit}`,
      `${formatNumber(base)} ${unit}`,
      base > 0 ? formatPercent(figure / base) : '',
      target ? describeTarget(target) : '',
      verdict ? formatVerdict(verdict) : '',
    ]);
  };
  const latencyRow = (what: string, s: Phase, b: Phase, p99Target: number | null) => {
    const verdict =
      p99Target === null
        ? null
        : judge(s.load.latency.p99, null, { kind: 'at-most', value: p99Target, unit: 'ms' });
    if (verdict && !verdict.pass) pass = false;
    rows.push([
      what,
      latencyCell(s),
      latencyCell(b),
      '',
      p99Target === null ? '' : `p99 ≤ ${p99Target} ms`,
      verdict ? formatVerdict(verdict) : '',
    ]);
  };
  const c = options.connections;
  row(
    `Redirects, ${formatNumber(options.hotCodes)} cached codes, ${c} connections`,
    server.cached.load.rate,
    baseline.cached.load.rate,
    'req/s',
    { kind: 'ratio-at-least', ratio: 0.6 },
  );
  latencyRow('… latency p50 / p99', server.cached, baseline.cached, 10);
  row(
    `Redirects, uniform over ${formatNumber(server.links)} codes, cache ${formatNumber(
      options.cacheSize,
    )}, ${c} connections`,
    server.uniform.load.rate,
    baseline.uniform.load.rate,
    'req/s',
    { kind: 'ratio-at-least', ratio: 0.4 },
  );
  latencyRow('… latency p50 / p99', server.uniform, baseline.uniform, null);
  row(
    `Link creation, ${c} connections`,
    server.creation.load.rate,
    baseline.creation.load.rate,
    'links/s',
    { kind: 'at-least', value: 5000, unit: 'links/s' },
  );
  latencyRow('… latency p50 / p99', server.creation, baseline.creation, null);

  const table = renderTable(
    [
      { header: 'measurement' },
      { header: 'Switchboard', align: 'right' },
      { header: 'baseline', align: 'right' },
      { header: 'ratio', align: 'right' },
      { header: 'target' },
      { header: 'result' },
    ],
    rows,
  );
  const perRequest = (phase: Phase) => microsPerUnit(phase.serverCores, phase.load.rate);
  const cores = renderTable(
    [
      { header: 'phase' },
      { header: 'Switchboard CPU', align: 'right' },
      { header: 'CPU per request', align: 'right' },
      { header: 'baseline CPU', align: 'right' },
      { header: 'CPU per request', align: 'right' },
      { header: 'ratio', align: 'right' },
      { header: 'generator CPU', align: 'right' },
      { header: 'others', align: 'right' },
    ],
    (['cached', 'uniform', 'creation'] as const).map((phase) => [
      phase,
      `${server[phase].serverCores.toFixed(2)} cores`,
      `${formatNumber(perRequest(server[phase]))} µs`,
      `${baseline[phase].serverCores.toFixed(2)} cores`,
      `${formatNumber(perRequest(baseline[phase]))} µs`,
      formatPercent(perRequest(baseline[phase]) / perRequest(server[phase])),
      `${server[phase].load.generatorCores.toFixed(2)} / ${baseline[phase].load.generatorCores.toFixed(2)} cores`,
      `${server[phase].otherCores.toFixed(2)} / ${baseline[phase].otherCores.toFixed(2)} cores`,
    ]),
  );
  const body = [
    '## Links: redirects and creation',
    '',
    header,
    '',
    table,
    '',
    `Overall: **${pass ? 'every target met' : 'some targets missed'}**.`,
    '',
    'CPU used during each measured phase (1.0 = one core busy the whole time), for',
    'Switchboard / the baseline where two figures share a cell. A server near 1.0 is the',
    'limit; a generator near 1.0 means the figure is the load generator’s ceiling, not the',
    'server’s; "others" is every other process on the machine, and anything above a few',
    'hundredths means the figures were taken on a busy machine. CPU per request is the',
    'figure a busy machine disturbs least (it counts the time the server ran, not the time',
    'it waited for a core); its ratio (baseline ÷ Switchboard) is the throughput ratio to',
    'expect when both are CPU-bound.',
    '',
    cores,
  ];
  if (server.profiles.length > 0) body.push('', '### Profiles', '', ...server.profiles);
  return { body: body.join('\n'), pass };
}

/** Runs `npm run bench:links`: Switchboard, then the baseline, then the report. */
export async function runLinksBench(options: LinksBenchOptions): Promise<boolean> {
  const machine = describeMachine();
  const log = options.log;
  if (options.links <= options.cacheSize) {
    throw new Error('the uniform run needs more links than LINK_CACHE_SIZE');
  }

  const measureBaseline = async (): Promise<LinksTargetResult> => {
    log('baseline: bare node:http server, links in a Map');
    const service = await startService({
      name: 'baseline',
      script: path.join(ROOT, 'bench/baselines/http-redirect-server.ts'),
      nodeArgs: TS_NODE_ARGS,
      env: { NODE_ENV: 'production', HOST: '127.0.0.1' },
    });
    try {
      return await benchTarget({ label: 'baseline', service, authorization: null }, options);
    } finally {
      await service.stop();
    }
  };
  if (options.baselineOnly) {
    await measureBaseline();
    return true;
  }

  // Switchboard first: if it cannot start or serve, the run stops before the baseline.
  log('switchboard: the built server on the embedded default (SQLite)');
  const server = await startSwitchboard({
    inspect: options.profile,
    env: {
      LINK_CACHE_SIZE: String(options.cacheSize),
      RATE_LIMIT_EXEMPT_USERS: BENCH_USERNAME,
    },
  });
  let result: LinksTargetResult;
  try {
    const token = await registerBenchUser(server.baseUrl);
    result = await benchTarget(
      { label: 'switchboard', service: server, authorization: `Bearer ${token}` },
      options,
    );
  } catch (error) {
    log(server.logs.slice(-20).join('\n'));
    throw error;
  } finally {
    const code = await server.stop();
    if (code !== 0) log(`warning: the server exited with ${code}`);
  }
  const baseline = await measureBaseline();

  const header = runHeader('npm run bench:links', machine, [
    `Switchboard: the built server as its own process on the embedded default (SQLite, WAL), \`LOG_LEVEL=warn\`, \`LINK_CACHE_SIZE=${options.cacheSize}\`, a fresh data directory; the benchmark account is in \`RATE_LIMIT_EXEMPT_USERS\`.`,
    'Baseline: a bare `node:http` server answering 302 from a `Map` (bench/baselines/http-redirect-server.ts), measured in the same run with the same generator, connections and durations.',
    `Load: autocannon in the benchmark process, ${options.connections} connections, ${options.warmupS} s warm-up then ${options.durationS} s per redirect phase; latencies in an HDR histogram at 1 µs resolution. The redirect requests are built before each run (autocannon would build them at its start, inside the measured window).`,
    `Seeding is measured: the ${formatNumber(options.links)} links of each server are created through \`POST /api/links\` by the creation phase, and the redirect phases use their codes. Cached: ${formatNumber(options.hotCodes)} codes, each connection cycling through its share. Uniform: all codes shuffled and split between connections, each requested once per cycle, so an LRU smaller than the set misses on nearly every request (the database path).`,
  ]);
  const { body, pass } = renderLinksSection(result, baseline, options, header);
  log('');
  log(body);
  if (options.write) writeResultsSection(LINKS_SECTION, body);
  return pass;
}
