import fs from 'node:fs';
import path from 'node:path';
import type { CpuProfile } from '../lib/cpu-profile.js';
import { InspectorSession } from '../lib/inspector.js';
import { LatencyRecorder, mergeEncoded, type LatencySummary } from '../lib/latency.js';
import { describeMachine } from '../lib/machine.js';
import { renderTable } from '../lib/markdown.js';
import { settledMemory, type MemorySample } from '../lib/memory.js';
import {
  CpuMeter,
  ROOT,
  type CpuReading,
  TS_NODE_ARGS,
  startService,
  waitFor,
  type ServiceProcess,
} from '../lib/processes.js';
import { profileReport, runHeader, writeResultsSection } from '../lib/report.js';
import { partition } from '../lib/sampling.js';
import { freshDataDir, startSwitchboard } from '../lib/switchboard.js';
import {
  describeTarget,
  formatBytes,
  formatMs,
  formatNumber,
  formatPercent,
  formatVerdict,
  judge,
  microsPerUnit,
  type Target,
} from '../lib/verdict.js';
import {
  createBenchGroup,
  seedRelay,
  seedSwitchboard,
  type BenchUser,
  type Population,
  type PopulationSizes,
} from './chat-seed.js';
import type { DeviceSpec, DirectResult, EventMessage } from './load-protocol.js';
import { startLoadWorkers, stopLoadWorkers, type LoadWorker } from './load-pool.js';
import {
  DEFAULT_RATE_SEARCH,
  bestStep,
  nextRate,
  stepFailure,
  type RateSearchOptions,
  type RateStep,
} from './rate-search.js';

/** Settings of `npm run bench:chat`; the defaults are the documented run. */
export interface ChatBenchOptions {
  readonly sizes: PopulationSizes;
  /** Group messages sent one at a time, each waited for, for the time to the last member. */
  readonly groupSingles: number;
  /** Group messages sent at once, for the fan-out rate. */
  readonly groupBurst: number;
  /** Messages in the offline backlog. */
  readonly backlog: number;
  /** Load-generator processes. */
  readonly workers: number;
  /** Seconds each offered rate is measured, after `warmupS` unmeasured. */
  readonly stepS: number;
  readonly warmupS: number;
  readonly search: RateSearchOptions;
  readonly profile: boolean;
  readonly write: boolean;
  readonly baselineOnly: boolean;
  readonly log: (line: string) => void;
}

/** The documented run. */
export const CHAT_DEFAULTS: Omit<ChatBenchOptions, 'log'> = {
  sizes: { direct: 1000, group: 256, fillSenders: 50, idle: 10_000 },
  groupSingles: 10,
  groupBurst: 100,
  backlog: 10_000,
  workers: 2,
  stepS: 4,
  warmupS: 1,
  search: DEFAULT_RATE_SEARCH,
  profile: false,
  write: true,
  baselineOnly: false,
};

/** The section of docs/benchmarks.md this benchmark owns. */
export const CHAT_SECTION = 'chat';

/**
 * Frames per second a device may send, for the benchmark's server: the default (200)
 * would refuse the backlog's senders; the limiter still runs on every frame.
 */
const BENCH_FRAMES_PER_SECOND = 5000;
const RELAY_GROUP_ID = 'bench-group';
const CONNECT_CONCURRENCY = 64;
const CONNECT_TIMEOUT_MS = 60_000;
const DRAIN_AFTER_STEP_MS = 30_000;

/** One rate of the search, with everything measured at it. */
export interface DirectStep extends RateStep {
  readonly p50: number;
  readonly sentP50: number;
  readonly sentP99: number;
  readonly serverCores: number;
  readonly generatorCores: number;
  /** Cores every other process on the machine used meanwhile: the noise. */
  readonly otherCores: number;
  readonly loopDelayP99: number;
  readonly failure: string | null;
}

/** The group phase: time to the last member, and fan-out throughput. */
export interface GroupResult {
  readonly members: number;
  /** Time from a send to the last member receiving it, over the single messages. */
  readonly timeToLast: LatencySummary;
  /** Deliveries per second of the burst, and how long it took to the last delivery. */
  readonly burstRate: number;
  readonly burstMs: number;
}

/** The offline backlog: how fast it filled, how fast it drained. */
export interface BacklogResult {
  readonly fillRate: number;
  readonly drainMs: number;
  readonly readyMs: number;
  readonly drainRate: number;
  readonly duplicates: number;
}

/** Idle connections: the process's memory before, along the way, and after. */
export interface MemoryResult {
  readonly connections: number;
  readonly before: MemorySample;
  readonly atTenth: MemorySample;
  readonly after: MemorySample;
  readonly connectMs: number;
  /** RSS growth per connection, from none to all. */
  readonly rssPerConnection: number;
  /** RSS growth per connection from the first tenth to all: the fixed costs left out. */
  readonly rssPerConnectionMarginal: number;
  readonly heapPerConnection: number;
}

/** Everything measured on one target (Switchboard or the relay). */
export interface ChatTargetResult {
  readonly steps: readonly DirectStep[];
  readonly best: DirectStep | null;
  readonly group: GroupResult;
  readonly backlog: BacklogResult | null;
  readonly memory: MemoryResult;
  readonly profiles: string[];
}

/** How the benchmark reaches one target. */
interface Endpoint {
  readonly label: string;
  service: ServiceProcess;
  readonly population: Population;
  readonly groupId: string;
  /** Restarts the target as a fresh process with the inspector open (for memory). */
  readonly restart: () => Promise<ServiceProcess>;
}

function wsUrl(service: ServiceProcess): string {
  return `ws://127.0.0.1:${service.port}/ws`;
}

function spec(user: BenchUser, peer?: BenchUser): DeviceSpec {
  return { userId: user.userId, token: user.token, ...(peer ? { peer: peer.userId } : {}) };
}

async function connectAll(
  endpoint: Endpoint,
  workers: readonly LoadWorker[],
  perWorker: readonly DeviceSpec[][],
): Promise<number> {
  const started = performance.now();
  const results = await Promise.all(
    workers.map((worker, i) =>
      worker.call('connect', {
        url: wsUrl(endpoint.service),
        devices: perWorker[i] ?? [],
        concurrency: CONNECT_CONCURRENCY,
        timeoutMs: CONNECT_TIMEOUT_MS,
      }),
    ),
  );
  const failed = results.reduce((n, r) => n + r.failed, 0);
  if (failed > 0) {
    throw new Error(
      `${endpoint.label}: ${failed} devices failed to connect: ${results
        .flatMap((r) => r.failures)
        .join('; ')}`,
    );
  }
  return performance.now() - started;
}

/** What the load processes saw go wrong, to add to an error: refusals and closes. */
async function explain(workers: readonly LoadWorker[]): Promise<string> {
  const stats = await Promise.all(workers.map((w) => w.call('stats', {}).catch(() => null)));
  const errors = mergeCounts(stats.map((s) => s?.errors ?? {}));
  const closes = mergeCounts(stats.map((s) => s?.closes ?? {}));
  const samples = stats.flatMap((s) => s?.errorSamples ?? []).slice(0, 3);
  return `error frames ${JSON.stringify(errors)}, socket closes by code ${JSON.stringify(
    closes,
  )}${samples.length > 0 ? `, e.g. ${samples.join(' | ')}` : ''}`;
}

/** Runs `phase`; if it throws, adds what the load processes saw to the error. */
async function explained<T>(workers: readonly LoadWorker[], phase: () => Promise<T>): Promise<T> {
  try {
    return await phase();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message} (${await explain(workers)})`, { cause: error });
  }
}

async function closeAll(workers: readonly LoadWorker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.call('closeAll', {})));
}

async function profiled<T>(
  inspector: InspectorSession | null,
  label: string,
  profiles: string[],
  run: () => Promise<T>,
): Promise<T> {
  if (!inspector) return run();
  await inspector.startProfiling();
  try {
    return await run();
  } finally {
    const profile: CpuProfile = await inspector.stopProfiling();
    profiles.push(profileReport(profile, label));
  }
}

// ------------------------------------------------------------------ 1:1

function mergeCounts(counts: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const count of counts) {
    for (const [key, n] of Object.entries(count)) merged[key] = (merged[key] ?? 0) + n;
  }
  return merged;
}

async function directStep(
  endpoint: Endpoint,
  workers: readonly LoadWorker[],
  devicesPerWorker: readonly number[],
  rate: number,
  options: ChatBenchOptions,
): Promise<DirectStep> {
  const total = devicesPerWorker.reduce((a, b) => a + b, 0);
  const meter = new CpuMeter([endpoint.service.pid, process.pid, ...workers.map((w) => w.pid)]);
  // CPU over the measured window only: from the end of the warm-up to the end of sending.
  const cpu = new Promise<CpuReading>((resolve) => {
    setTimeout(() => {
      meter.start();
      setTimeout(() => resolve(meter.stop()), options.stepS * 1000);
    }, options.warmupS * 1000);
  });
  const results: DirectResult[] = await Promise.all(
    workers.map((worker, i) =>
      worker.call('direct', {
        rate: (rate * (devicesPerWorker[i] ?? 0)) / total,
        warmupMs: options.warmupS * 1000,
        durationMs: options.stepS * 1000,
        drainMs: DRAIN_AFTER_STEP_MS,
      }),
    ),
  );
  const reading = await cpu;
  const serverCores = reading.cores.get(endpoint.service.pid) ?? 0;
  const sum = (pick: (r: DirectResult) => number) => results.reduce((n, r) => n + pick(r), 0);
  const latency = mergeEncoded(results.map((r) => r.latency)).summary();
  const sentLatency = mergeEncoded(results.map((r) => r.sentLatency)).summary();
  const step: RateStep = {
    offered: rate,
    delivered: sum((r) => r.deliveredInWindow) / options.stepS,
    p99: latency.p99,
    lost: sum((r) => r.sent - r.delivered),
    duplicates: sum((r) => r.duplicates),
    reordered: sum((r) => r.reordered),
    errors: mergeCounts(results.map((r) => r.errors)),
  };
  return {
    ...step,
    p50: latency.p50,
    sentP50: sentLatency.p50,
    sentP99: sentLatency.p99,
    serverCores,
    generatorCores: sum((r) => r.cores),
    otherCores: reading.otherCores,
    loopDelayP99: Math.max(...results.map((r) => r.loopDelayP99)),
    failure: stepFailure(step, options.search),
  };
}

function describeStep(step: DirectStep): string {
  return `offered ${formatNumber(step.offered)}/s → delivered ${formatNumber(
    step.delivered,
  )}/s, p50 ${formatMs(step.p50)}, p99 ${formatMs(step.p99)}, sent p99 ${formatMs(
    step.sentP99,
  )}; server ${step.serverCores.toFixed(2)} cores, generators ${step.generatorCores.toFixed(
    2,
  )} cores (loop delay p99 ${formatMs(step.loopDelayP99)}), others ${step.otherCores.toFixed(
    2,
  )} cores${step.failure ? ` — not sustained: ${step.failure}` : ''}`;
}

async function benchDirect(
  endpoint: Endpoint,
  workers: readonly LoadWorker[],
  options: ChatBenchOptions,
  inspector: InspectorSession | null,
  profiles: string[],
): Promise<{ steps: DirectStep[]; best: DirectStep | null }> {
  const users = endpoint.population.direct;
  const pairs = Array.from({ length: users.length / 2 }, (_, k) => [
    users[2 * k]!,
    users[2 * k + 1]!,
  ]);
  // Both ends of a pair live in one process, so that latency is read on one clock.
  const perWorker = partition(pairs, workers.length).map((share) =>
    share.flatMap(([a, b]) => [spec(a!, b), spec(b!, a)]),
  );
  const connectMs = await connectAll(endpoint, workers, perWorker);
  options.log(
    `  connected ${formatNumber(users.length)} devices in ${formatMs(connectMs)}; searching the rate`,
  );
  const devicesPerWorker = perWorker.map((devices) => devices.length);
  // `steps` drives the search; `tried` is every run, for the report. A rate that fails is
  // tried once more and judged on the second run, so that one burst of someone else's
  // work on a shared machine does not end the search early (targets and baseline alike).
  const steps: DirectStep[] = [];
  const tried: DirectStep[] = [];
  for (
    let rate = nextRate(steps, options.search);
    rate !== null;
    rate = nextRate(steps, options.search)
  ) {
    let step = await directStep(endpoint, workers, devicesPerWorker, rate, options);
    options.log(`  ${describeStep(step)}`);
    if (step.failure !== null) {
      tried.push({ ...step, failure: `${step.failure}; tried again` });
      step = await directStep(endpoint, workers, devicesPerWorker, rate, options);
      options.log(`  again: ${describeStep(step)}`);
    }
    tried.push(step);
    steps.push(step);
  }
  const best = bestStep(steps, options.search) as DirectStep | null;
  if (inspector) {
    // One more step, profiled, just past the best rate: where the time goes at the limit.
    const rate = Math.round((best?.offered ?? options.search.start) * options.search.growth);
    await profiled(inspector, `chat-${endpoint.label}-direct-${rate}`, profiles, () =>
      directStep(endpoint, workers, devicesPerWorker, rate, options),
    );
  }
  await closeAll(workers);
  return { steps: tried, best };
}

// ------------------------------------------------------------------ group

async function benchGroup(
  endpoint: Endpoint,
  workers: readonly LoadWorker[],
  options: ChatBenchOptions,
  inspector: InspectorSession | null,
  profiles: string[],
): Promise<GroupResult> {
  const members = endpoint.population.group;
  const sender = members[0]!;
  const perWorker = partition(
    members.map((m) => spec(m)),
    workers.length,
  );
  await connectAll(endpoint, workers, perWorker);
  const total = options.groupSingles + options.groupBurst;
  const expecting = await Promise.all(
    workers.map((w) =>
      w.call('groupExpect', { group: endpoint.groupId, count: total, sender: sender.userId }),
    ),
  );
  const waitingWorkers = expecting.filter((e) => e.members > 0).length;
  const recipients = expecting.reduce((n, e) => n + e.members, 0);
  const complete = new Map<number, { workers: number; lastAt: number }>();
  const listen = (event: EventMessage) => {
    const entry = complete.get(event.index) ?? { workers: 0, lastAt: 0 };
    entry.workers++;
    entry.lastAt = Math.max(entry.lastAt, event.lastAt);
    complete.set(event.index, entry);
  };
  const unsubscribe = workers.map((w) => w.onEvent(listen));
  const senderWorker = workers[0]!;
  const done = (index: number) => (complete.get(index)?.workers ?? 0) >= waitingWorkers;
  try {
    const timeToLast = new LatencyRecorder();
    for (let g = 0; g < options.groupSingles; g++) {
      const { sentAt } = await senderWorker.call('groupSend', {
        from: sender.userId,
        group: endpoint.groupId,
        first: g,
        count: 1,
      });
      await waitFor(() => done(g), `group message ${g} to reach every member`, {
        timeoutMs: 30_000,
        intervalMs: 2,
      });
      timeToLast.record(complete.get(g)!.lastAt - sentAt);
    }
    const burst = await profiled(
      inspector,
      `chat-${endpoint.label}-group-burst`,
      profiles,
      async () => {
        const { sentAt } = await senderWorker.call('groupSend', {
          from: sender.userId,
          group: endpoint.groupId,
          first: options.groupSingles,
          count: options.groupBurst,
        });
        await waitFor(
          () => {
            for (let g = options.groupSingles; g < total; g++) if (!done(g)) return false;
            return true;
          },
          'the group burst to reach every member',
          { timeoutMs: 120_000, intervalMs: 5 },
        );
        let last = 0;
        for (let g = options.groupSingles; g < total; g++)
          last = Math.max(last, complete.get(g)!.lastAt);
        return last - sentAt;
      },
    );
    return {
      members: members.length,
      timeToLast: timeToLast.summary(),
      burstMs: burst,
      burstRate: (options.groupBurst * recipients) / (burst / 1000),
    };
  } finally {
    unsubscribe.forEach((stop) => stop());
    await closeAll(workers);
  }
}

// ------------------------------------------------------------------ offline backlog

async function benchBacklog(
  endpoint: Endpoint,
  workers: readonly LoadWorker[],
  options: ChatBenchOptions,
  inspector: InspectorSession | null,
  profiles: string[],
): Promise<BacklogResult> {
  const senders = endpoint.population.fillSenders;
  const receiver = endpoint.population.backlogReceiver;
  if (options.backlog % senders.length !== 0) {
    throw new Error(
      `the backlog (${options.backlog}) must split evenly between ${senders.length} senders`,
    );
  }
  const perDevice = options.backlog / senders.length;
  const perWorker = partition(
    senders.map((s) => spec(s)),
    workers.length,
  );
  await connectAll(endpoint, workers, perWorker);
  let offset = 0;
  const started = performance.now();
  await Promise.all(
    workers.map((worker, i) => {
      const params = {
        to: receiver.userId,
        perDevice,
        window: 16,
        offset,
        timeoutMs: 120_000,
      };
      offset += perWorker[i]!.length * perDevice;
      return worker.call('fill', params);
    }),
  );
  const fillMs = performance.now() - started;
  await closeAll(workers);
  options.log(
    `  filled the backlog at ${formatNumber(options.backlog / (fillMs / 1000))} messages/s`,
  );

  const drain = await profiled(inspector, `chat-${endpoint.label}-backlog-drain`, profiles, () =>
    workers[0]!.call('drain', {
      url: wsUrl(endpoint.service),
      device: spec(receiver),
      expected: options.backlog,
      timeoutMs: 120_000,
    }),
  );
  await closeAll(workers);
  if (drain.received !== options.backlog) {
    throw new Error(`the backlog drain received ${drain.received} of ${options.backlog}`);
  }
  return {
    fillRate: options.backlog / (fillMs / 1000),
    drainMs: drain.drainMs,
    readyMs: drain.readyMs,
    drainRate: options.backlog / (drain.drainMs / 1000),
    duplicates: drain.duplicates,
  };
}

// ------------------------------------------------------------------ idle memory

async function benchMemory(
  endpoint: Endpoint,
  workers: readonly LoadWorker[],
): Promise<MemoryResult> {
  await endpoint.service.stop();
  endpoint.service = await endpoint.restart();
  const idle = endpoint.population.idle;
  // A tenth first: what it costs to start taking connections at all (code paths compiled,
  // caches filled) is then left out of the marginal figure.
  const first = Math.max(1, Math.floor(idle.length / 10));
  const before = await settledMemory(endpoint.service);
  const started = performance.now();
  await connectAll(
    endpoint,
    workers,
    partition(
      idle.slice(0, first).map((u) => spec(u)),
      workers.length,
    ),
  );
  const atTenth = await settledMemory(endpoint.service);
  await connectAll(
    endpoint,
    workers,
    partition(
      idle.slice(first).map((u) => spec(u)),
      workers.length,
    ),
  );
  const connectMs = performance.now() - started;
  const after = await settledMemory(endpoint.service);
  await closeAll(workers);
  const n = idle.length;
  return {
    connections: n,
    before,
    atTenth,
    after,
    connectMs,
    rssPerConnection: (after.rssBytes - before.rssBytes) / n,
    rssPerConnectionMarginal: (after.rssBytes - atTenth.rssBytes) / (n - first),
    heapPerConnection: (after.heapUsedBytes - before.heapUsedBytes) / n,
  };
}

// ------------------------------------------------------------------ one target

async function benchTarget(
  endpoint: Endpoint,
  options: ChatBenchOptions,
  withBacklog: boolean,
): Promise<ChatTargetResult> {
  const workers = startLoadWorkers(options.workers);
  const profiles: string[] = [];
  try {
    const inspector =
      options.profile && endpoint.service.inspectorUrl !== null
        ? await InspectorSession.connect(endpoint.service.inspectorUrl)
        : null;
    let direct: Awaited<ReturnType<typeof benchDirect>>;
    let group: GroupResult;
    let backlog: BacklogResult | null = null;
    try {
      options.log(
        `${endpoint.label}: 1:1 messages, ${formatNumber(endpoint.population.direct.length)} devices in pairs`,
      );
      direct = await explained(workers, () =>
        benchDirect(endpoint, workers, options, inspector, profiles),
      );
      options.log(`${endpoint.label}: group of ${endpoint.population.group.length}`);
      group = await explained(workers, () =>
        benchGroup(endpoint, workers, options, inspector, profiles),
      );
      options.log(
        `  time to the last member p50 ${formatMs(group.timeToLast.p50)}, max ${formatMs(
          group.timeToLast.max,
        )}; burst of ${options.groupBurst}: ${formatNumber(group.burstRate)} deliveries/s`,
      );
      if (withBacklog) {
        options.log(`${endpoint.label}: offline backlog of ${formatNumber(options.backlog)}`);
        backlog = await explained(workers, () =>
          benchBacklog(endpoint, workers, options, inspector, profiles),
        );
        options.log(
          `  drained in ${formatMs(backlog.drainMs)} (${formatNumber(backlog.drainRate)} items/s)`,
        );
      }
    } finally {
      await inspector?.close();
    }
    options.log(
      `${endpoint.label}: memory of ${formatNumber(endpoint.population.idle.length)} idle connections`,
    );
    const memory = await explained(workers, () => benchMemory(endpoint, workers));
    options.log(
      `  ${formatBytes(memory.rssPerConnection)} RSS per connection (${formatBytes(
        memory.rssPerConnectionMarginal,
      )} beyond the first tenth), ${formatBytes(memory.heapPerConnection)} of JS heap`,
    );
    return { steps: direct.steps, best: direct.best, group, backlog, memory, profiles };
  } finally {
    await stopLoadWorkers(workers);
  }
}

// ------------------------------------------------------------------ report

function stepsTable(steps: readonly DirectStep[]): string {
  return renderTable(
    [
      { header: 'offered', align: 'right' },
      { header: 'delivered', align: 'right' },
      { header: 'p50', align: 'right' },
      { header: 'p99', align: 'right' },
      { header: 'send→sent p99', align: 'right' },
      { header: 'server CPU', align: 'right' },
      { header: 'CPU per message', align: 'right' },
      { header: 'generator CPU', align: 'right' },
      { header: 'others', align: 'right' },
      { header: 'sustained' },
    ],
    steps.map((s) => [
      `${formatNumber(s.offered)}/s`,
      `${formatNumber(s.delivered)}/s`,
      formatMs(s.p50),
      formatMs(s.p99),
      formatMs(s.sentP99),
      s.serverCores.toFixed(2),
      `${formatNumber(microsPerUnit(s.serverCores, s.delivered))} µs`,
      s.generatorCores.toFixed(2),
      s.otherCores.toFixed(2),
      s.failure === null ? 'yes' : `no: ${s.failure}`,
    ]),
  );
}

/** Renders the results table and its notes: the section of docs/benchmarks.md. */
export function renderChatSection(
  server: ChatTargetResult,
  relay: ChatTargetResult,
  options: Omit<ChatBenchOptions, 'log'>,
  header: string,
): { body: string; pass: boolean } {
  let pass = true;
  const rows: string[][] = [];
  const row = (
    what: string,
    figure: string,
    base: string,
    ratio: number | null,
    target: Target | null,
    value: number | null,
    baseValue: number | null,
  ) => {
    const verdict = target && value !== null ? judge(value, baseValue, target) : null;
    if (verdict && !verdict.pass) pass = false;
    if (target && value === null) pass = false;
    rows.push([
      what,
      figure,
      base,
      ratio === null ? '' : formatPercent(ratio),
      target ? describeTarget(target) : '',
      verdict ? formatVerdict(verdict) : target ? '**FAIL**' : '',
    ]);
  };
  const s = server.best;
  const r = relay.best;
  const rate = (step: DirectStep | null) =>
    step ? `${formatNumber(step.delivered)} msg/s` : 'none held';
  const lat = (a: number, b: number) => `${formatMs(a)} / ${formatMs(b)}`;
  const ratio = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined && b > 0 ? a / b : null;
  const d = options.sizes.direct;

  row(
    `1:1 delivered and acked, ${formatNumber(d)} devices in ${formatNumber(d / 2)} pairs: highest rate held (p99 ≤ ${options.search.p99MaxMs} ms, ≥ ${formatPercent(options.search.minDeliveredRatio)} delivered)`,
    rate(s),
    rate(r),
    ratio(s?.delivered, r?.delivered),
    { kind: 'ratio-at-least', ratio: 0.25 },
    s?.delivered ?? null,
    r?.delivered ?? null,
  );
  row(
    '… end-to-end latency p50 / p99 at that rate (send → receipt at the peer)',
    s ? lat(s.p50, s.p99) : '',
    r ? lat(r.p50, r.p99) : '',
    null,
    { kind: 'at-most', value: 50, unit: 'ms (p99)' },
    s?.p99 ?? null,
    null,
  );
  const cpu = (step: DirectStep | null) =>
    step ? microsPerUnit(step.serverCores, step.delivered) : undefined;
  row(
    '… server CPU per message at that rate (the figure a busy machine disturbs least)',
    s ? `${formatNumber(cpu(s)!)} µs` : '',
    r ? `${formatNumber(cpu(r)!)} µs` : '',
    ratio(cpu(r), cpu(s)),
    null,
    null,
    null,
  );
  row(
    '… send → `sent` p50 / p99 (durably stored)',
    s ? lat(s.sentP50, s.sentP99) : '',
    r ? lat(r.sentP50, r.sentP99) : '',
    null,
    null,
    null,
    null,
  );
  row(
    `Group of ${server.group.members}: fan-out deliveries/s (burst of ${options.groupBurst} messages)`,
    `${formatNumber(server.group.burstRate)}/s`,
    `${formatNumber(relay.group.burstRate)}/s`,
    ratio(server.group.burstRate, relay.group.burstRate),
    null,
    null,
    null,
  );
  row(
    `… time until the last member has a message, p50 / max of ${options.groupSingles}`,
    lat(server.group.timeToLast.p50, server.group.timeToLast.max),
    lat(relay.group.timeToLast.p50, relay.group.timeToLast.max),
    null,
    null,
    null,
    null,
  );
  if (server.backlog) {
    row(
      `Offline backlog of ${formatNumber(options.backlog)}: connect → last item received and acked`,
      `${formatMs(server.backlog.drainMs)} (${formatNumber(server.backlog.drainRate)} items/s)`,
      'no storage',
      null,
      null,
      null,
      null,
    );
  }
  row(
    `Memory per idle authenticated connection, ${formatNumber(server.memory.connections)} connections (RSS)`,
    formatBytes(server.memory.rssPerConnection),
    formatBytes(relay.memory.rssPerConnection),
    ratio(server.memory.rssPerConnection, relay.memory.rssPerConnection),
    { kind: 'at-most', value: 30, unit: 'KB' },
    server.memory.rssPerConnection / 1024,
    null,
  );
  row(
    '… of which JavaScript heap',
    formatBytes(server.memory.heapPerConnection),
    formatBytes(relay.memory.heapPerConnection),
    null,
    null,
    null,
    null,
  );

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
  const memoryTable = renderTable(
    [
      { header: 'process' },
      { header: 'RSS before', align: 'right' },
      { header: `at ${formatNumber(server.memory.connections / 10)}`, align: 'right' },
      { header: `at ${formatNumber(server.memory.connections)}`, align: 'right' },
      { header: 'per connection after the first tenth', align: 'right' },
      { header: 'connect time', align: 'right' },
    ],
    [
      ['Switchboard', server.memory],
      ['bare relay', relay.memory],
    ].map(([name, m]) => {
      const memory = m as MemoryResult;
      return [
        name as string,
        formatBytes(memory.before.rssBytes),
        formatBytes(memory.atTenth.rssBytes),
        formatBytes(memory.after.rssBytes),
        formatBytes(memory.rssPerConnectionMarginal),
        formatMs(memory.connectMs),
      ];
    }),
  );
  const body = [
    '## Chat: 1:1 delivery, group fan-out, offline backlog, idle memory',
    '',
    header,
    '',
    table,
    '',
    `Overall: **${pass ? 'every target met' : 'some targets missed'}**.`,
    '',
    '### The rate search, Switchboard',
    '',
    'Each offered rate, in the order tried. CPU in cores over the measured window (1.0 = one',
    'core busy); "others" is every other process on the machine: above a few hundredths,',
    'the machine was busy and the latencies carry its noise. CPU per message is the',
    'server’s CPU time per delivered message, which a busy machine disturbs least; in the',
    'summary its ratio is relay ÷ Switchboard, the throughput ratio to expect when both are',
    'CPU-bound.',
    '',
    stepsTable(server.steps),
    '',
    '### The rate search, bare relay',
    '',
    stepsTable(relay.steps),
    '',
    '### Memory',
    '',
    memoryTable,
  ];
  if (server.profiles.length > 0) body.push('', '### Profiles', '', ...server.profiles);
  return { body: body.join('\n'), pass };
}

// ------------------------------------------------------------------ the run

/** Runs `npm run bench:chat`: Switchboard, then the bare relay, then the report. */
export async function runChatBench(options: ChatBenchOptions): Promise<boolean> {
  const machine = describeMachine();
  const log = options.log;

  const measureRelay = async (): Promise<ChatTargetResult> => {
    const relayDir = freshDataDir('relay');
    const seedFile = path.join(relayDir, 'relay-seed.json');
    const relayPopulation = seedRelay(options.sizes, seedFile, RELAY_GROUP_ID);
    const startRelay = (inspect: boolean) =>
      startService({
        name: 'relay',
        script: path.join(ROOT, 'bench/baselines/ws-relay-server.ts'),
        nodeArgs: TS_NODE_ARGS,
        inspect,
        env: { NODE_ENV: 'production', HOST: '127.0.0.1', RELAY_SEED: seedFile },
      });
    log('baseline: bare ws relay');
    const relayEndpoint: Endpoint = {
      label: 'relay',
      service: await startRelay(false),
      population: relayPopulation,
      groupId: RELAY_GROUP_ID,
      restart: () => startRelay(true),
    };
    try {
      return await benchTarget(relayEndpoint, options, false);
    } finally {
      await relayEndpoint.service.stop();
      fs.rmSync(relayDir, { recursive: true, force: true });
    }
  };
  if (options.baselineOnly) {
    await measureRelay();
    return true;
  }

  // Switchboard first: if it cannot start or serve, the run stops before the baseline.
  log('switchboard: seeding accounts into the database (not measured)');
  const dataDir = freshDataDir('chat');
  const seedStarted = performance.now();
  const population = await seedSwitchboard(options.sizes, dataDir);
  log(
    `  ${formatNumber(
      population.direct.length +
        population.group.length +
        population.fillSenders.length +
        population.idle.length +
        1,
    )} accounts in ${formatMs(performance.now() - seedStarted)}`,
  );
  const env = { CHAT_FRAMES_PER_SECOND: String(BENCH_FRAMES_PER_SECOND) };
  const startServer = (inspect: boolean) => startSwitchboard({ dataDir, env, inspect });
  const service = await startServer(options.profile);
  let result: ChatTargetResult;
  const endpoint: Endpoint = {
    label: 'switchboard',
    service,
    population,
    groupId: await createBenchGroup(service.baseUrl, population.group).catch(async (error) => {
      await service.stop();
      throw error;
    }),
    restart: () => startServer(true),
  };
  try {
    result = await benchTarget(endpoint, options, true);
  } catch (error) {
    log(endpoint.service.logs.slice(-20).join('\n'));
    throw error;
  } finally {
    const code = await endpoint.service.stop();
    if (code !== 0) log(`warning: the server exited with ${code}`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const relay = await measureRelay();

  const header = runHeader('npm run bench:chat', machine, [
    `Switchboard: the built server as its own process on the embedded default (SQLite, WAL), \`LOG_LEVEL=warn\`, \`CHAT_FRAMES_PER_SECOND=${BENCH_FRAMES_PER_SECOND}\` (the default 200 would refuse the backlog's senders; the limiter still runs), a fresh data directory.`,
    `Seeding, not measured: ${formatNumber(
      options.sizes.direct +
        options.sizes.group +
        options.sizes.fillSenders +
        options.sizes.idle +
        1,
    )} accounts with one device each, written into the database before the server starts by the server's own account store and token code; the group is created through \`POST /api/groups\`.`,
    'Baseline: a bare `ws` relay (bench/baselines/ws-relay-server.ts) that authenticates from a Map, forwards each `send` to the recipient’s socket as a `msg`, answers `sent`, and ignores acks: no storage, no receipts, perMessageDeflate off. Measured in the same run by the same generator.',
    `Load: ${options.workers} generator processes of raw \`ws\` clients (bench/chat/ws-load-worker.ts; each acknowledges every inbox item, cumulatively, once per event-loop turn). 1:1: both ends of a pair in one process, every device sends to its peer on an open-loop schedule; each rate runs ${options.warmupS} s unmeasured then ${options.stepS} s measured; rates grow ×${options.search.growth} from ${formatNumber(options.search.start)}/s until one is not held, then are bisected. Bodies are ~100 bytes of JSON.`,
    `Memory: each process restarted fresh with the inspector open, forced to collect garbage, RSS read once settled, before and after ${formatNumber(options.sizes.idle)} devices have authenticated and gone idle.`,
  ]);
  const { body, pass } = renderChatSection(result, relay, options, header);
  log('');
  log(body);
  if (options.write) writeResultsSection(CHAT_SECTION, body);
  return pass;
}
