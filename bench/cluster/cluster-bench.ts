import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../packages/server/src/config.js';
import { startCluster, type LocalCluster } from '../../scripts/cluster/cluster.js';
import { PRODUCTION_EXAMPLE, renderHaproxyConfig } from '../../scripts/cluster/haproxy-config.js';
import { findHaproxy, HaproxyAdmin, startBalancer } from '../../scripts/cluster/haproxy.js';
import { startPrivateNats } from '../../scripts/cluster/nats-server.js';
import { dropDatabase } from '../../scripts/cluster/postgres.js';
import { stopProcess, type ProcessRecord } from '../../scripts/cluster/processes.js';
import { startVolatileRedis } from '../../scripts/cluster/redis-server.js';
import type { BenchUser } from '../chat/chat-seed.js';
import type { DeviceSpec, DirectResult } from '../chat/load-protocol.js';
import { startLoadWorkers, stopLoadWorkers, type LoadWorker } from '../chat/load-pool.js';
import {
  DEFAULT_RATE_SEARCH,
  bestStep,
  nextRate,
  stepFailure,
  type RateSearchOptions,
  type RateStep,
} from '../chat/rate-search.js';
import { assertStatuses, runHttpLoad, type HttpLoadResult } from '../lib/http-load.js';
import { mergeEncoded } from '../lib/latency.js';
import { describeMachine } from '../lib/machine.js';
import { freePort, ROOT, type ServiceProcess } from '../lib/processes.js';
import { runHeader, writeResultsSection } from '../lib/report.js';
import { partition, sample } from '../lib/sampling.js';
import { freshDataDir, startSwitchboard } from '../lib/switchboard.js';
import { formatMs, formatNumber } from '../lib/verdict.js';
import { seedDevices } from './cluster-seed.js';
import { measureGroups, type GroupReading, type ProcessGroup } from './process-groups.js';
import {
  renderClusterSection,
  type ChatStep,
  type ClusterBenchResult,
  type TargetResult,
} from './cluster-report.js';

/** Settings of `npm run bench:cluster`; the defaults are the documented run. */
export interface ClusterBenchOptions {
  /** Links created through the target, then redirected to. */
  readonly links: number;
  /** Codes of the redirect phase: few enough to stay in every node's cache. */
  readonly hotCodes: number;
  readonly connections: number;
  /** Seconds of the measured redirect phase, after `warmupS` unmeasured. */
  readonly durationS: number;
  readonly warmupS: number;
  /** Devices of the 1:1 run, in pairs. */
  readonly devices: number;
  readonly workers: number;
  /** Seconds each offered 1:1 rate is measured, after `chatWarmupS` unmeasured. */
  readonly stepS: number;
  readonly chatWarmupS: number;
  readonly search: RateSearchOptions;
  /**
   * A 1:1 rate every setup holds, measured once more after the search: CPU per message
   * depends on the rate (commits batch more as it grows), so setups are compared at one.
   */
  readonly referenceRate: number;
  /** Which setups to measure (all four by default). */
  readonly targets: readonly TargetKind[];
  readonly write: boolean;
  readonly log: (line: string) => void;
}

/** The four setups: the embedded default alone and behind HAProxy, and a 1- and 2-node cluster. */
export type TargetKind = 'embedded' | 'embedded-lb' | 'cluster-1' | 'cluster-2';

/** What each setup is called in the report. */
export const TARGET_LABELS: Readonly<Record<TargetKind, string>> = {
  embedded: 'embedded, direct',
  'embedded-lb': 'embedded + HAProxy',
  'cluster-1': 'cluster, 1 node',
  'cluster-2': 'cluster, 2 nodes',
};

/** The documented run. */
export const CLUSTER_BENCH_DEFAULTS: Omit<ClusterBenchOptions, 'log'> = {
  links: 20_000,
  hotCodes: 1_000,
  connections: 64,
  durationS: 10,
  warmupS: 2,
  devices: 1_000,
  workers: 2,
  stepS: 4,
  chatWarmupS: 1,
  search: { ...DEFAULT_RATE_SEARCH, start: 1_000, maxSteps: 8, resolution: 1.2 },
  referenceRate: 250,
  targets: ['embedded', 'embedded-lb', 'cluster-1', 'cluster-2'],
  write: true,
};

/** The section of docs/benchmarks.md this benchmark owns. */
export const CLUSTER_SECTION = 'cluster';

const BENCH_USERNAME = 'bench_links';
/** The settings bench:links and bench:chat give the server, so that the figures compare. */
const NODE_ENV = {
  LOG_LEVEL: 'warn',
  RATE_LIMIT_EXEMPT_USERS: BENCH_USERNAME,
  CHAT_FRAMES_PER_SECOND: '5000',
};
const DRAIN_AFTER_STEP_MS = 30_000;

/** A setup ready to be measured: where the load goes, and whose CPU counts. */
interface RunningTarget {
  readonly kind: TargetKind;
  readonly url: string;
  readonly groups: ProcessGroup[];
  readonly users: readonly BenchUser[];
  readonly logs: () => string;
  stop(): Promise<void>;
}

const pidsOf =
  (records: () => readonly (ProcessRecord | { pid: number } | null)[]) => (): Promise<number[]> =>
    Promise.resolve(records().flatMap((r) => (r === null ? [] : [r.pid])));

async function balancerFor(
  service: ServiceProcess,
  dataDir: string,
): Promise<{ url: string; record: ProcessRecord }> {
  const port = await freePort();
  const configFile = path.join(dataDir, 'haproxy.cfg');
  const statsSocket = path.join(dataDir, 'haproxy.sock');
  fs.writeFileSync(
    configFile,
    renderHaproxyConfig({
      ...PRODUCTION_EXAMPLE,
      header: 'bench:cluster: the embedded default behind the cluster’s HAProxy configuration',
      bind: `127.0.0.1:${port}`,
      tls: null,
      nodes: [{ name: 'embedded', host: '127.0.0.1', port: service.port }],
      statsSocket,
      pidFile: null,
      log: 'stdout',
      statsBind: null,
      maxConnections: 8_000,
      health: { intervalMs: 1_000, fall: 2, rise: 2 },
    }),
  );
  const record = await startBalancer({
    binary: findHaproxy(true, () => undefined),
    configFile,
    statsSocket,
    logFile: path.join(dataDir, 'haproxy.log'),
    detached: false,
    cwd: ROOT,
  });
  const admin = new HaproxyAdmin(statsSocket);
  for (;;) {
    const servers = await admin.servers();
    if (servers.every((s) => s.status === 'UP')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url: `http://127.0.0.1:${port}`, record };
}

async function startEmbedded(kind: 'embedded' | 'embedded-lb', options: ClusterBenchOptions) {
  const dataDir = freshDataDir(kind);
  const users = await seedDevices(
    parseConfig({ DATA_DIR: dataDir }).database,
    options.devices,
    'bench_d',
  );
  const service = await startSwitchboard({ dataDir, env: NODE_ENV });
  let balancer: { url: string; record: ProcessRecord } | null = null;
  try {
    if (kind === 'embedded-lb') balancer = await balancerFor(service, dataDir);
  } catch (error) {
    await service.stop();
    throw error;
  }
  const target: RunningTarget = {
    kind,
    url: balancer?.url ?? service.baseUrl,
    users,
    groups: [
      { name: 'nodes', pids: () => Promise.resolve([service.pid]) },
      { name: 'HAProxy', pids: pidsOf(() => (balancer ? [balancer.record] : [])) },
    ],
    logs: () => service.logs.slice(-20).join('\n'),
    async stop() {
      if (balancer) await stopProcess(balancer.record, 'SIGTERM', 10_000);
      await service.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return target;
}

async function startClusterTarget(nodes: 1 | 2, options: ClusterBenchOptions) {
  const kind: TargetKind = nodes === 1 ? 'cluster-1' : 'cluster-2';
  const dataDir = freshDataDir(kind);
  const name = `sb_bench_${randomBytes(4).toString('hex')}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/${name}`;
  const redis = await startVolatileRedis({
    name: 'redis',
    port: await freePort(),
    dir: path.join(dataDir, 'redis'),
    logFile: path.join(dataDir, 'redis.log'),
    detached: false,
    cwd: ROOT,
  });
  const redisPort = Number(/127\.0\.0\.1:(\d+)/.exec(redis.marker)?.[1]);
  const nats = await startPrivateNats({
    port: await freePort(),
    dir: path.join(dataDir, 'nats'),
    logFile: path.join(dataDir, 'nats.log'),
    cwd: ROOT,
    detached: false,
  }).catch(async (error: unknown) => {
    await stopProcess(redis, 'SIGTERM', 10_000);
    throw error;
  });
  let cluster: LocalCluster;
  try {
    cluster = await startCluster({
      nodes,
      port: 0,
      dataDir: path.join(dataDir, 'cluster'),
      databaseUrl,
      redisUrl: `redis://127.0.0.1:${redisPort}`,
      natsUrl: nats.url,
      inboxStores: 'private',
      clusterName: name,
      env: NODE_ENV,
      detached: false,
      installBalancer: true,
      healthIntervalMs: 1_000,
      statsPort: null,
      log: options.log,
    });
  } catch (error) {
    await stopProcess(nats.record, 'SIGTERM', 10_000);
    await stopProcess(redis, 'SIGTERM', 10_000);
    await dropDatabase(databaseUrl).catch(() => undefined);
    throw error;
  }
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  const stopAll = async () => {
    await cluster.stop();
    await admin.end().catch(() => undefined);
    await stopProcess(nats.record, 'SIGTERM', 10_000);
    await stopProcess(redis, 'SIGTERM', 10_000);
    await dropDatabase(databaseUrl).catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  let users: BenchUser[];
  try {
    users = await seedDevices(
      parseConfig({ DATABASE_URL: databaseUrl, CLUSTER: 'false' }).database,
      options.devices,
      'bench_d',
    );
  } catch (error) {
    await stopAll();
    throw error;
  }
  const byRole = (role: ProcessRecord['role']) =>
    pidsOf(() => cluster.processes().filter((p) => p.role === role));
  const target: RunningTarget = {
    kind,
    url: cluster.balancerUrl,
    users,
    groups: [
      { name: 'nodes', pids: byRole('node') },
      { name: 'HAProxy', pids: byRole('balancer') },
      {
        name: 'PostgreSQL',
        pids: async () =>
          (
            await admin.query<{ pid: number }>(
              'SELECT pid FROM pg_stat_activity WHERE datname = $1',
              [name],
            )
          ).rows.map((r) => r.pid),
      },
      { name: 'Redis', pids: pidsOf(() => [redis]) },
      { name: 'inbox Redis ×2', pids: byRole('inbox-redis') },
      { name: 'NATS', pids: pidsOf(() => [nats.record]) },
    ],
    logs: () => '',
    stop: stopAll,
  };
  return target;
}

// ------------------------------------------------------------------ links

async function measure<T>(
  target: RunningTarget,
  extra: readonly number[],
  run: () => Promise<T>,
): Promise<{ value: T; reading: GroupReading }> {
  const meter = await measureGroups([
    ...target.groups,
    { name: 'generator', pids: () => Promise.resolve([process.pid, ...extra]) },
  ]);
  const value = await run();
  return { value, reading: await meter.stop() };
}

async function benchLinks(target: RunningTarget, options: ClusterBenchOptions) {
  const register = await fetch(`${target.url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: BENCH_USERNAME,
      password: `bench-${randomBytes(12).toString('base64url')}`,
    }),
  });
  const registered = (await register.json()) as { token?: string };
  if (register.status !== 201 || registered.token === undefined) {
    throw new Error(`registering the benchmark account answered ${register.status}`);
  }
  const codes: string[] = [];
  options.log(`  creating ${formatNumber(options.links)} links`);
  const creation = await measure(target, [], () =>
    runHttpLoad({
      url: `${target.url}/api/links`,
      connections: options.connections,
      amount: options.links,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${registered.token}`,
      },
      bodyFor: (n) => `{"url":"https://example.com/bench/${n}"}`,
      onBody: (status, body) => {
        if (status === 201) codes.push((JSON.parse(body) as { code: string }).code);
      },
    }),
  );
  assertStatuses(`${target.kind} creation`, creation.value, [201]);
  for (const code of sample(codes, 10)) {
    const res = await fetch(`${target.url}/${code}`, { redirect: 'manual' });
    await res.body?.cancel();
    if (res.status !== 302) throw new Error(`/${code} answered ${res.status}`);
  }
  const paths = partition(
    sample(codes, options.hotCodes).map((c) => `/${c}`),
    options.connections,
  );
  const redirect = (durationS: number) =>
    runHttpLoad({
      url: target.url,
      connections: options.connections,
      durationS,
      pathsFor: (i) => paths[i]!,
    });
  options.log(`  redirects of ${formatNumber(options.hotCodes)} cached codes`);
  await redirect(options.warmupS);
  const cached = await measure(target, [], () => redirect(options.durationS));
  assertStatuses(`${target.kind} redirects`, cached.value, [302]);
  const line = (what: string, m: { value: HttpLoadResult; reading: GroupReading }) =>
    options.log(
      `  ${what}: ${formatNumber(m.value.rate)}/s, p50 ${formatMs(m.value.latency.p50)}, p99 ${formatMs(
        m.value.latency.p99,
      )}; ${[...m.reading.cores].map(([g, c]) => `${g} ${c.toFixed(2)}`).join(', ')}, others ${m.reading.otherCores.toFixed(2)} cores`,
    );
  line('creation', creation);
  line('cached redirects', cached);
  return {
    creation: { load: creation.value, reading: creation.reading },
    cached: { load: cached.value, reading: cached.reading },
  };
}

// ------------------------------------------------------------------ chat

async function chatStep(
  target: RunningTarget,
  workers: readonly LoadWorker[],
  devicesPerWorker: readonly number[],
  rate: number,
  options: ClusterBenchOptions,
): Promise<ChatStep> {
  const total = devicesPerWorker.reduce((a, b) => a + b, 0);
  // CPU over the measured window only: from the end of the warm-up to the end of sending.
  const reading = new Promise<GroupReading>((resolve, reject) => {
    setTimeout(() => {
      measure(
        target,
        workers.map((w) => w.pid),
        () => new Promise((done) => setTimeout(done, options.stepS * 1000)),
      ).then((m) => resolve(m.reading), reject);
    }, options.chatWarmupS * 1000);
  });
  const results: DirectResult[] = await Promise.all(
    workers.map((worker, i) =>
      worker.call('direct', {
        rate: (rate * (devicesPerWorker[i] ?? 0)) / total,
        warmupMs: options.chatWarmupS * 1000,
        durationMs: options.stepS * 1000,
        drainMs: DRAIN_AFTER_STEP_MS,
      }),
    ),
  );
  const sum = (pick: (r: DirectResult) => number) => results.reduce((n, r) => n + pick(r), 0);
  const latency = mergeEncoded(results.map((r) => r.latency)).summary();
  const sent = mergeEncoded(results.map((r) => r.sentLatency)).summary();
  const errors: Record<string, number> = {};
  for (const r of results) {
    for (const [code, n] of Object.entries(r.errors)) errors[code] = (errors[code] ?? 0) + n;
  }
  const step: RateStep = {
    offered: rate,
    delivered: sum((r) => r.deliveredInWindow) / options.stepS,
    p99: latency.p99,
    lost: sum((r) => r.sent - r.delivered),
    duplicates: sum((r) => r.duplicates),
    reordered: sum((r) => r.reordered),
    errors,
  };
  return {
    ...step,
    p50: latency.p50,
    sentP99: sent.p99,
    reading: await reading,
    failure: stepFailure(step, options.search),
  };
}

async function benchChat(target: RunningTarget, options: ClusterBenchOptions) {
  const workers = startLoadWorkers(options.workers);
  try {
    const users = target.users;
    const pairs = Array.from({ length: users.length / 2 }, (_, k) => [
      users[2 * k]!,
      users[2 * k + 1]!,
    ]);
    const spec = (user: BenchUser, peer: BenchUser): DeviceSpec => ({
      userId: user.userId,
      token: user.token,
      peer: peer.userId,
    });
    const perWorker = partition(pairs, workers.length).map((share) =>
      share.flatMap(([a, b]) => [spec(a!, b!), spec(b!, a!)]),
    );
    const wsUrl = `${target.url.replace(/^http/, 'ws')}/ws`;
    const connected = await Promise.all(
      workers.map((worker, i) =>
        worker.call('connect', {
          url: wsUrl,
          devices: perWorker[i] ?? [],
          concurrency: 32,
          timeoutMs: 60_000,
        }),
      ),
    );
    const failed = connected.reduce((n, r) => n + r.failed, 0);
    if (failed > 0) {
      throw new Error(
        `${failed} devices failed to connect: ${connected.flatMap((r) => r.failures).join('; ')}`,
      );
    }
    options.log(`  connected ${formatNumber(users.length)} devices; searching the 1:1 rate`);
    const devicesPerWorker = perWorker.map((d) => d.length);
    const steps: ChatStep[] = [];
    const tried: ChatStep[] = [];
    for (
      let rate = nextRate(steps, options.search);
      rate !== null;
      rate = nextRate(steps, options.search)
    ) {
      let step = await chatStep(target, workers, devicesPerWorker, rate, options);
      options.log(`  ${describeStep(step)}`);
      if (step.failure !== null) {
        // Once more before judging: one burst of someone else's work should not end the search.
        tried.push({ ...step, failure: `${step.failure}; tried again` });
        step = await chatStep(target, workers, devicesPerWorker, rate, options);
        options.log(`  again: ${describeStep(step)}`);
      }
      tried.push(step);
      steps.push(step);
    }
    const reference = await chatStep(
      target,
      workers,
      devicesPerWorker,
      options.referenceRate,
      options,
    );
    options.log(`  reference: ${describeStep(reference)}`);
    await Promise.all(workers.map((w) => w.call('closeAll', {})));
    return { steps: tried, best: bestStep(steps, options.search) as ChatStep | null, reference };
  } finally {
    await stopLoadWorkers(workers);
  }
}

function describeStep(step: ChatStep): string {
  return `offered ${formatNumber(step.offered)}/s → delivered ${formatNumber(step.delivered)}/s, p50 ${formatMs(
    step.p50,
  )}, p99 ${formatMs(step.p99)}; ${[...step.reading.cores]
    .map(([g, c]) => `${g} ${c.toFixed(2)}`)
    .join(', ')}, others ${step.reading.otherCores.toFixed(2)} cores${
    step.failure ? ` — not sustained: ${step.failure}` : ''
  }`;
}

// ------------------------------------------------------------------ the run

async function benchTarget(kind: TargetKind, options: ClusterBenchOptions): Promise<TargetResult> {
  options.log(`${TARGET_LABELS[kind]}: starting`);
  const target =
    kind === 'embedded' || kind === 'embedded-lb'
      ? await startEmbedded(kind, options)
      : await startClusterTarget(kind === 'cluster-1' ? 1 : 2, options);
  try {
    const links = await benchLinks(target, options);
    const chat = await benchChat(target, options);
    return { kind, label: TARGET_LABELS[kind], ...links, chat };
  } catch (error) {
    options.log(target.logs());
    throw error;
  } finally {
    await target.stop();
  }
}

/** Runs `npm run bench:cluster`: each setup in turn, then the report. */
export async function runClusterBench(options: ClusterBenchOptions): Promise<boolean> {
  const machine = describeMachine();
  const results: TargetResult[] = [];
  for (const kind of options.targets) results.push(await benchTarget(kind, options));
  const result: ClusterBenchResult = { targets: results };
  const header = runHeader('npm run bench:cluster', machine, [
    `Every setup runs the built server as its own processes, with \`LOG_LEVEL=warn\`, the benchmark account in \`RATE_LIMIT_EXEMPT_USERS\` and \`CHAT_FRAMES_PER_SECOND=5000\`. **Embedded**: one node on SQLite (WAL), reached directly, then behind HAProxy with the cluster's configuration (scripts/cluster/haproxy-config.ts). **Cluster**: \`npm run cluster\`'s \`startCluster\` with 1 and then 2 nodes behind HAProxy, on a fresh PostgreSQL database of this machine, and, so that their CPU is the cluster's alone, a private \`redis-server\` (REDIS_URL: cache, presence, routing, rate limits), a private \`nats-server\` with JetStream, and the two private inbox Redis servers with AOF (CHAT_INBOX_STORES).`,
    `Links: ${formatNumber(options.links)} links created through the setup's address (${options.connections} connections, measured), then redirects over ${formatNumber(options.hotCodes)} of their codes (cached in every node), ${options.warmupS} s warm-up and ${options.durationS} s measured. Chat: ${formatNumber(options.devices)} seeded devices in pairs connected through the setup's address by ${options.workers} raw \`ws\` load processes (bench/chat/ws-load-worker.ts), every device sending to its peer on an open-loop schedule; rates from ${formatNumber(options.search.start)}/s, ×${options.search.growth} until one does not hold (p99 ≤ ${options.search.p99MaxMs} ms, ≥ ${Math.round(options.search.minDeliveredRatio * 100)}% delivered, nothing lost, duplicated or reordered), then bisected; ${options.chatWarmupS} s unmeasured and ${options.stepS} s measured per rate; then ${formatNumber(options.referenceRate)} msg/s once more, for the CPU per message of every setup at one rate.`,
    'CPU is read from /proc per group of processes over each measured window; PostgreSQL counts the backends connected to the setup’s database (not the server’s background writers), and "others" is everything else on the machine, including other people’s work.',
  ]);
  const { body } = renderClusterSection(result, options, header);
  options.log('');
  options.log(body);
  if (options.write) writeResultsSection(CLUSTER_SECTION, body);
  return true;
}
