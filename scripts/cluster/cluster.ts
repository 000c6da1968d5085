import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, parseConfig } from '../../packages/server/src/config.js';
import { renderHaproxyConfig, PRODUCTION_EXAMPLE } from './haproxy-config.js';
import { findHaproxy, HaproxyAdmin, startBalancer, type ServerState } from './haproxy.js';
import { ensureDatabase } from './postgres.js';
import {
  answersOk,
  freePort,
  isRunning,
  portInUse,
  spawnLogged,
  stopProcess,
  tail,
  waitFor,
  type ProcessRecord,
} from './processes.js';
import { startInboxRedis } from './redis-server.js';

/**
 * A Switchboard cluster on loopback: N identical nodes (the built server, each its own
 * process and log file) on this machine's PostgreSQL, Redis and NATS, two private inbox
 * Redis servers with AOF, and HAProxy in front balancing HTTP and WebSocket with health
 * checks on /readyz. `npm run cluster` runs it in a terminal or detached; the cluster
 * tests and `npm run bench:cluster` start it through `startCluster`.
 */

/** The repository root. */
export const ROOT = path.resolve(import.meta.dirname, '../..');

/** The built server every node runs (`tsc -b packages/server` first). */
export const SERVER_ENTRY = path.join(ROOT, 'packages/server/dist/main.js');

/** This machine's services, as the integration tests find them. */
export const LOCAL_SERVICES = {
  postgres: 'postgres://postgres@127.0.0.1:5432/switchboard_cluster',
  redis: 'redis://127.0.0.1:6379',
  nats: 'nats://127.0.0.1:4222',
} as const;

/** How to start a cluster; every field has the default of `npm run cluster`. */
export interface ClusterOptions {
  /** Switchboard nodes behind the balancer. */
  readonly nodes: number;
  /** The balancer's port on 127.0.0.1 (0: a free one). Nodes take the next ports. */
  readonly port: number;
  /** Logs, node data directories, the inbox stores' AOF, the balancer's configuration. */
  readonly dataDir: string;
  /** The shared database, created when missing. */
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly natsUrl: string;
  /**
   * Where chat inboxes live: `private` starts two private Redis servers with AOF and
   * mirrors the inboxes on them; `database` keeps them in PostgreSQL alone; or two
   * stores (`redis://...` or `database`) to mirror on.
   */
  readonly inboxStores: 'private' | 'database' | readonly [string, string];
  /** CLUSTER_NAME: the prefix of the cluster's Redis keys, NATS subjects and streams. */
  readonly clusterName: string;
  /** More environment for every node (on top of what the cluster sets). */
  readonly env: Readonly<Record<string, string>>;
  /** Processes in their own process group, left running when the script exits. */
  readonly detached: boolean;
  /** Install HAProxy from Debian when it is missing. */
  readonly installBalancer: boolean;
  /** Health-check interval of the balancer. */
  readonly healthIntervalMs: number;
  /** The balancer's stats page and Prometheus metrics port on 127.0.0.1 (0: a free one; null: none). */
  readonly statsPort: number | null;
  readonly log: (line: string) => void;
}

/** The defaults of `npm run cluster`. */
export const CLUSTER_DEFAULTS: ClusterOptions = {
  nodes: 3,
  port: 8080,
  dataDir: path.join(ROOT, 'data/cluster'),
  databaseUrl: LOCAL_SERVICES.postgres,
  redisUrl: LOCAL_SERVICES.redis,
  natsUrl: LOCAL_SERVICES.nats,
  inboxStores: 'private',
  clusterName: 'sbcluster',
  env: {},
  detached: false,
  installBalancer: true,
  healthIntervalMs: 1_000,
  statsPort: 0,
  log: () => undefined,
};

/** What `stop` and `status` read from the data directory of a running cluster. */
export interface ClusterState {
  readonly balancerUrl: string;
  readonly statsUrl: string | null;
  readonly statsSocket: string;
  readonly nodes: readonly { readonly name: string; readonly url: string }[];
  readonly inboxStores: readonly string[];
  readonly processes: readonly ProcessRecord[];
  readonly startedAt: string;
}

const STATE_FILE = 'cluster.json';

/** The state file of a cluster started from `dataDir`, or null when there is none. */
export function readClusterState(dataDir: string): ClusterState | null {
  const file = path.join(dataDir, STATE_FILE);
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ClusterState;
}

/** One node of a running cluster. */
export class ClusterNode {
  private record: ProcessRecord | null = null;
  private exited: Promise<number> = Promise.resolve(0);

  constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
    readonly logFile: string,
    private readonly env: Record<string, string>,
    private readonly detached: boolean,
  ) {}

  /** The node's own address, bypassing the balancer. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The process, while it runs. */
  get process(): ProcessRecord | null {
    return this.record !== null && isRunning(this.record) ? this.record : null;
  }

  /** Starts the node's process and resolves once its /readyz answers 200. */
  async start(): Promise<void> {
    if (this.process !== null) throw new Error(`${this.name} is already running`);
    fs.mkdirSync(this.dataDir, { recursive: true });
    fs.appendFileSync(this.logFile, `\n--- ${this.name} starting at ${new Date().toISOString()}\n`);
    const child = spawnLogged({
      command: process.execPath,
      args: [SERVER_ENTRY],
      env: this.env,
      logFile: this.logFile,
      cwd: ROOT,
      detached: this.detached,
    });
    let code: number | null = null;
    this.exited = new Promise((resolve) =>
      child.once('exit', (exitCode) => {
        code = exitCode ?? -1;
        resolve(code);
      }),
    );
    if (child.pid === undefined) throw new Error(`${this.name} has no pid`);
    this.record = {
      role: 'node',
      name: this.name,
      pid: child.pid,
      marker: `DATA_DIR=${this.dataDir}\n`,
      logFile: this.logFile,
    };
    await waitFor(
      async () => {
        if (code !== null) {
          throw new Error(
            `${this.name} exited with ${code} before it was ready:\n${tail(this.logFile)}`,
          );
        }
        return answersOk(`${this.url}/readyz`);
      },
      `${this.name} to answer /readyz on ${this.url}`,
      { timeoutMs: 90_000, intervalMs: 100, explain: () => tail(this.logFile) },
    );
  }

  /**
   * Sends `signal` (SIGTERM drains and closes sockets with 1001; SIGKILL is a crash)
   * and resolves once the process is gone.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<void> {
    const record = this.record;
    if (record === null) return;
    await stopProcess(record, signal, graceMs);
    this.record = null;
  }

  /** Resolves with the exit code of the current process once it exits. */
  exit(): Promise<number> {
    return this.exited;
  }

  /** The state file's record of the process. */
  recordOf(): ProcessRecord | null {
    return this.record;
  }
}

/** A running cluster. */
export interface LocalCluster {
  readonly balancerUrl: string;
  readonly statsUrl: string | null;
  readonly nodes: readonly ClusterNode[];
  /** The two inbox stores the nodes mirror inboxes on, or none (the database alone). */
  readonly inboxStores: readonly string[];
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly clusterName: string;
  readonly admin: HaproxyAdmin;
  /** The backend's servers as the balancer sees them now. */
  servers(): Promise<ServerState[]>;
  /** Every process of the cluster running now: nodes, balancer, inbox stores. */
  processes(): ProcessRecord[];
  /** Resolves once the balancer reports every node named in `up` UP and every other DOWN or MAINT. */
  waitForBalancer(up: readonly string[], timeoutMs?: number): Promise<void>;
  /** Stops every process: nodes first (they drain), then the balancer, then the inbox stores. */
  stop(): Promise<void>;
}

function portAt(options: ClusterOptions, offset: number, free: () => Promise<number>) {
  return options.port === 0 ? free() : Promise.resolve(options.port + offset);
}

/**
 * Connections the loopback balancer may hold: HAProxy needs two descriptors for each
 * (client and server side) within this machine's hard open-files limit.
 */
function balancerConnections(): number {
  let hard = 4096;
  try {
    const match = /^Max open files\s+\S+\s+(\S+)/m.exec(
      fs.readFileSync('/proc/self/limits', 'utf8'),
    );
    if (match) hard = match[1] === 'unlimited' ? 1_048_576 : Number(match[1]);
  } catch {
    // not Linux: keep the conservative default
  }
  return Math.max(256, Math.min(50_000, Math.floor((hard - 100) / 2)));
}

function writeState(dataDir: string, state: ClusterState): void {
  const file = path.join(dataDir, STATE_FILE);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

/**
 * The environment of node `index` (1-based): the scale-out engines, the mirrored
 * inbox, the balancer as the public origin and the only trusted proxy.
 */
export function nodeEnv(
  options: Pick<ClusterOptions, 'databaseUrl' | 'redisUrl' | 'natsUrl' | 'clusterName' | 'env'>,
  node: { name: string; port: number; dataDir: string },
  balancerUrl: string,
  inboxStores: readonly string[],
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(node.port),
    DATA_DIR: node.dataDir,
    PUBLIC_URL: balancerUrl,
    TRUST_PROXY: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    NATS_URL: options.natsUrl,
    CLUSTER_NAME: options.clusterName,
    NODE_ID: node.name,
    ...(inboxStores.length > 0 ? { CHAT_INBOX_STORES: inboxStores.join(',') } : {}),
    ...options.env,
  };
}

/**
 * Starts a cluster and resolves once the balancer sees every node up. On any failure
 * whatever was started is stopped before the error is thrown.
 */
export async function startCluster(overrides: Partial<ClusterOptions> = {}): Promise<LocalCluster> {
  const options: ClusterOptions = { ...CLUSTER_DEFAULTS, ...overrides };
  const { log } = options;
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > 64) {
    throw new Error('--nodes must be between 1 and 64');
  }
  if (!fs.existsSync(SERVER_ENTRY)) {
    throw new Error(
      `${SERVER_ENTRY} is missing: build the server first (npx tsc -b packages/server)`,
    );
  }
  const dataDir = path.resolve(options.dataDir);
  const existing = readClusterState(dataDir);
  if (existing !== null && existing.processes.some(isRunning)) {
    throw new Error(
      `a cluster started from ${dataDir} is still running (${existing.balancerUrl}): npm run cluster -- stop --data-dir ${dataDir}`,
    );
  }
  const logDir = path.join(dataDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });

  const haproxy = findHaproxy(options.installBalancer, log);
  const balancerPort = await portAt(options, 0, freePort);
  const balancerUrl = `http://127.0.0.1:${balancerPort}`;
  const nodePorts: number[] = [];
  for (let i = 1; i <= options.nodes; i++) {
    nodePorts.push(await portAt(options, i, freePort));
  }
  const statsPort =
    options.statsPort === null
      ? null
      : options.statsPort === 0
        ? await freePort()
        : options.statsPort;
  for (const port of [balancerPort, ...nodePorts, ...(statsPort === null ? [] : [statsPort])]) {
    if (await portInUse(port)) {
      throw new Error(
        `port ${port} is taken: choose another --port (nodes use the ports after it)`,
      );
    }
  }

  const started: ProcessRecord[] = [];
  const nodes: ClusterNode[] = [];
  const stopAll = async () => {
    await Promise.all(nodes.map((node) => node.stop('SIGTERM')));
    for (const record of started.filter((r) => r.role === 'balancer')) {
      await stopProcess(record, 'SIGTERM', 10_000);
    }
    await Promise.all(
      started.filter((r) => r.role === 'inbox-redis').map((r) => stopProcess(r, 'SIGTERM', 20_000)),
    );
    fs.rmSync(path.join(dataDir, STATE_FILE), { force: true });
  };

  try {
    const inboxPorts =
      options.inboxStores === 'private' ? [await freePort(), await freePort()] : [];
    const inboxStores =
      options.inboxStores === 'private'
        ? inboxPorts.map((port) => `redis://127.0.0.1:${port}`)
        : options.inboxStores === 'database'
          ? []
          : [...options.inboxStores];
    const envs = nodePorts.map((port, i) =>
      nodeEnv(
        options,
        { name: `node-${i + 1}`, port, dataDir: path.join(dataDir, `node-${i + 1}`) },
        balancerUrl,
        inboxStores,
      ),
    );
    // The server refuses a mix of settings that cannot work: say so before starting anything.
    try {
      parseConfig(envs[0]!);
    } catch (error) {
      if (error instanceof ConfigError) {
        throw new Error(`the nodes' ${error.message}`, { cause: error });
      }
      throw error;
    }

    if (await ensureDatabase(options.databaseUrl)) {
      log(`created database ${new URL(options.databaseUrl).pathname.slice(1)}`);
    }
    for (const [i, port] of inboxPorts.entries()) {
      const name = i === 0 ? 'inbox-a' : 'inbox-b';
      started.push(
        await startInboxRedis({
          name,
          port,
          dir: path.join(dataDir, name),
          logFile: path.join(logDir, `${name}.log`),
          detached: options.detached,
          cwd: ROOT,
        }),
      );
    }

    for (let i = 1; i <= options.nodes; i++) {
      const name = `node-${i}`;
      const nodeDir = path.join(dataDir, name);
      const port = nodePorts[i - 1]!;
      const env = envs[i - 1]!;
      nodes.push(
        new ClusterNode(
          name,
          port,
          nodeDir,
          path.join(logDir, `${name}.log`),
          env,
          options.detached,
        ),
      );
    }
    // One after the other would be kinder to a 2-core machine, but the nodes must
    // also prove that they start together (migrations under the migrator's lock).
    await Promise.all(nodes.map((node) => node.start()));
    log(`${nodes.length} nodes ready: ${nodes.map((n) => n.url).join(', ')}`);

    const configFile = path.join(dataDir, 'haproxy.cfg');
    const statsSocket = path.join(dataDir, 'haproxy.sock');
    fs.writeFileSync(
      configFile,
      renderHaproxyConfig({
        ...PRODUCTION_EXAMPLE,
        header: `Written by npm run cluster for the loopback cluster in ${dataDir}; deploy/haproxy/haproxy.cfg is the production example.`,
        bind: `127.0.0.1:${balancerPort}`,
        tls: null,
        nodes: nodes.map((node) => ({ name: node.name, host: '127.0.0.1', port: node.port })),
        statsSocket,
        pidFile: null,
        log: 'stdout',
        statsBind: statsPort === null ? null : `127.0.0.1:${statsPort}`,
        maxConnections: balancerConnections(),
        health: { intervalMs: options.healthIntervalMs, fall: 2, rise: 2 },
      }),
    );
    started.push(
      await startBalancer({
        binary: haproxy,
        configFile,
        statsSocket,
        logFile: path.join(logDir, 'haproxy.log'),
        detached: options.detached,
        cwd: ROOT,
      }),
    );
    const admin = new HaproxyAdmin(statsSocket);
    const statsUrl = statsPort === null ? null : `http://127.0.0.1:${statsPort}/`;

    const cluster: LocalCluster = {
      balancerUrl,
      statsUrl,
      nodes,
      inboxStores,
      dataDir,
      databaseUrl: options.databaseUrl,
      clusterName: options.clusterName,
      admin,
      servers: () => admin.servers(),
      processes: () =>
        [...nodes.map((node) => node.process), ...started].filter(
          (record): record is ProcessRecord => record !== null && isRunning(record),
        ),
      async waitForBalancer(up, timeoutMs = 30_000) {
        let last: ServerState[] = [];
        await waitFor(
          async () => {
            last = await admin.servers();
            return last.every((server) =>
              up.includes(server.name)
                ? server.status === 'UP'
                : server.status.startsWith('DOWN') || server.status === 'MAINT',
            );
          },
          `the balancer to see ${up.length > 0 ? up.join(', ') : 'no node'} up`,
          {
            timeoutMs,
            intervalMs: 100,
            explain: () => last.map((s) => `${s.name}: ${s.status}`).join(', '),
          },
        );
      },
      stop: stopAll,
    };
    await cluster.waitForBalancer(nodes.map((node) => node.name));
    await waitFor(() => answersOk(`${balancerUrl}/readyz`), `${balancerUrl}/readyz`, {
      timeoutMs: 10_000,
    });
    writeState(dataDir, {
      balancerUrl,
      statsUrl,
      statsSocket,
      nodes: nodes.map((node) => ({ name: node.name, url: node.url })),
      inboxStores,
      processes: [...nodes.map((node) => node.recordOf()!), ...started],
      startedAt: new Date().toISOString(),
    });
    return cluster;
  } catch (error) {
    await stopAll().catch((stopError: unknown) =>
      log(
        `while cleaning up: ${stopError instanceof Error ? stopError.message : String(stopError)}`,
      ),
    );
    throw error;
  }
}

/**
 * Stops the cluster recorded in `dataDir` (started with `--detach`, or left behind by
 * a script that was killed): nodes first, then the balancer, then the inbox stores.
 */
export async function stopRecordedCluster(
  dataDir: string,
  log: (line: string) => void,
): Promise<boolean> {
  const state = readClusterState(path.resolve(dataDir));
  if (state === null) return false;
  const byRole = (role: ProcessRecord['role']) => state.processes.filter((p) => p.role === role);
  const stop = async (records: ProcessRecord[], graceMs: number) => {
    await Promise.all(
      records.map(async (record) => {
        const outcome = await stopProcess(record, 'SIGTERM', graceMs);
        log(`${record.name} (pid ${record.pid}): ${outcome}`);
      }),
    );
  };
  await stop(byRole('node'), 20_000);
  await stop(byRole('balancer'), 10_000);
  await stop(byRole('inbox-redis'), 20_000);
  fs.rmSync(path.join(path.resolve(dataDir), STATE_FILE), { force: true });
  return true;
}
