import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_SERVICES } from './services.js';
import { freePort } from './spawn-server.js';

/**
 * Helpers of the scale-out tests: a unique cluster name per test (so that runs sharing
 * this machine's Redis and NATS never see each other's keys, subjects or streams),
 * cleanup, empty PostgreSQL databases, and a private Redis server a test may kill.
 */

/** A `CLUSTER_NAME` no other run uses. */
export function uniqueClusterName(): string {
  return `sbt_${randomBytes(5).toString('hex')}`;
}

/** Resolves once `check` answers true; fails after `timeoutMs` with `what` in the message. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what = 'condition',
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`${what}: not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Deletes every key of a cluster name from this machine's Redis. */
export async function deleteRedisKeys(prefix: string, url: string = TEST_SERVICES.redis) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Deletes every JetStream stream of a cluster name from this machine's NATS. */
export async function deleteNatsStreams(prefix: string, url: string = TEST_SERVICES.nats) {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(`${prefix}_`)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}

/** Removes what a cluster name left in Redis and NATS. */
export async function cleanUpCluster(prefix: string): Promise<void> {
  await Promise.all([deleteRedisKeys(prefix), deleteNatsStreams(prefix)]);
}

/** An empty PostgreSQL database for whole apps, dropped (connections and all) by `drop`. */
export interface ScratchPostgres {
  readonly url: string;
  drop(): Promise<void>;
}

/** Creates an empty database with a random name on this machine's PostgreSQL. */
export async function createScratchPostgres(): Promise<ScratchPostgres> {
  const { default: pg } = await import('pg');
  const name = `sb_scale_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: TEST_SERVICES.postgres });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_SERVICES.postgres);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      // Pools end their sockets lazily: wait for them, so FORCE kills nobody mid-close.
      const client = new pg.Client({ connectionString: TEST_SERVICES.postgres });
      await client.connect();
      try {
        for (let i = 0; i < 100; i++) {
          const { rows } = await client.query<{ n: string }>(
            'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1',
            [name],
          );
          if (Number(rows[0]?.n ?? 0) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A `redis-server` of the test's own, on a port of its own, that the test may kill. */
export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** SIGKILLs the server (nothing is saved: it comes back empty). */
  kill(): Promise<void>;
  /** Starts it again on the same port and waits until it answers. */
  restart(): Promise<void>;
  /** Kills it and removes its directory. */
  close(): Promise<void>;
}

/** Starts `redis-server --port <free> --save '' --appendonly no` in a temporary directory. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  return killableServer('redis', port, 'switchboard-redis-', (dir) =>
    spawnRedisProcess(
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      dir,
    ),
  );
}

/** A `nats-server -js` of the test's own, with its own store, that the test may kill. */
export interface PrivateNats {
  readonly url: string;
  readonly port: number;
  /** SIGKILLs the server; its JetStream store stays on disk. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store, and waits until it is ready. */
  restart(): Promise<void>;
  /** Kills it and removes its store. */
  close(): Promise<void>;
}

/** Starts `nats-server -js` on a free port with a store in a temporary directory. */
export async function startPrivateNats(
  options: { jetstream?: boolean } = {},
): Promise<PrivateNats> {
  const port = await freePort();
  return killableServer('nats', port, 'switchboard-nats-', (dir) => {
    const jetstream = options.jetstream === false ? [] : ['-js', '-sd', dir];
    return spawnReady(
      'nats-server',
      ['-a', '127.0.0.1', '-p', String(port), ...jetstream],
      dir,
      /Server is ready/,
      15_000,
    );
  });
}

/**
 * A server process on `port` with a temporary directory of its own, started by `spawnIt`,
 * that a test may SIGKILL and start again (same port, same directory).
 */
async function killableServer(
  scheme: string,
  port: number,
  dirPrefix: string,
  spawnIt: (dir: string) => Promise<ChildProcess>,
): Promise<PrivateRedis & PrivateNats> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), dirPrefix));
  let child: ChildProcess | null = null;
  const start = async () => {
    child = await spawnIt(dir);
  };
  const kill = async () => {
    const running = child;
    child = null;
    if (running !== null) await killProcess(running);
  };
  await start();
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    kill,
    restart: start,
    async close() {
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A group of `redis-server` processes of the test's own: a Redis Cluster or a Sentinel setup. */
export interface PrivateRedisGroup {
  /** Kills every process and removes their directory. */
  close(): Promise<void>;
}

/** Starts one `redis-server` with `args` in `dir`; resolves once it accepts connections. */
function spawnRedisProcess(args: string[], dir: string): Promise<ChildProcess> {
  return spawnReady(
    'redis-server',
    args,
    dir,
    /Ready to accept connections|Sentinel ID is/,
    10_000,
  );
}

/** Spawns `command` in `dir`; resolves once its output matches `ready`, fails if it exits first. */
async function spawnReady(
  command: string,
  args: string[],
  dir: string,
  ready: RegExp,
  timeoutMs: number,
): Promise<ChildProcess> {
  const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${command} did not start:\n${output}`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (ready.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${command} exited with ${code}:\n${output}`));
      });
    });
  } catch (error) {
    await killProcess(child);
    throw error;
  }
  // Keep reading (a full pipe would block the server), without keeping what it says.
  child.stdout?.removeAllListeners('data').resume();
  child.stderr?.removeAllListeners('data').resume();
  return child;
}

async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function killAll(children: ChildProcess[], dir: string): Promise<void> {
  await Promise.all(children.map(killProcess));
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A three-master Redis Cluster on free ports (no replicas), ready for keys. */
export async function startPrivateRedisCluster(): Promise<
  PrivateRedisGroup & { readonly nodes: ReadonlyArray<{ host: string; port: number }> }
> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-rcluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const nodeDir = path.join(dir, String(port));
      fs.mkdirSync(nodeDir);
      children.push(
        await spawnRedisProcess(
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--save',
            '',
            '--appendonly',
            'no',
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
          ],
          nodeDir,
        ),
      );
      ports.push(port);
    }
    await new Promise<void>((resolve, reject) => {
      const create = spawn(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...ports.map((p) => `127.0.0.1:${p}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      create.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      create.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      create.once('exit', (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`redis-cli --cluster create: ${code}\n${output}`)),
      );
    });
    const { Redis } = await import('ioredis');
    for (const port of ports) {
      const client = new Redis(port, '127.0.0.1');
      try {
        await waitFor(
          async () => (await client.cluster('INFO')).includes('cluster_state:ok'),
          `cluster node ${port} ok`,
        );
      } finally {
        client.disconnect();
      }
    }
  } catch (error) {
    await killAll(children, dir);
    throw error;
  }
  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    close: () => killAll(children, dir),
  };
}

/** A Redis master watched by one Sentinel (master name `main`), on free ports. */
export async function startPrivateSentinel(): Promise<
  PrivateRedisGroup & { readonly sentinel: { host: string; port: number }; readonly name: string }
> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-sentinel-'));
  const children: ChildProcess[] = [];
  try {
    const masterPort = await freePort();
    children.push(
      await spawnRedisProcess(
        ['--port', String(masterPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        dir,
      ),
    );
    const sentinelPort = await freePort();
    const config = path.join(dir, 'sentinel.conf');
    fs.writeFileSync(
      config,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor main 127.0.0.1 ${masterPort} 1`,
        'sentinel down-after-milliseconds main 1000',
        '',
      ].join('\n'),
    );
    children.push(await spawnRedisProcess([config, '--sentinel'], dir));
    return {
      sentinel: { host: '127.0.0.1', port: sentinelPort },
      name: 'main',
      close: () => killAll(children, dir),
    };
  } catch (error) {
    await killAll(children, dir);
    throw error;
  }
}
