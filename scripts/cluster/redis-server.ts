import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnLogged, tail, waitFor, type ProcessRecord } from './processes.js';

/**
 * The cluster's two inbox stores: private `redis-server` processes with the append-only
 * file on, each in a directory of its own, so that what `sent` promises survives a
 * restart of either (deploy/redis/inbox-redis.conf is the production equivalent).
 */

/** How to start one inbox Redis. */
export interface InboxRedisOptions {
  readonly name: string;
  readonly port: number;
  /** Its data directory (the AOF lives there and is replayed on restart). */
  readonly dir: string;
  readonly logFile: string;
  readonly detached: boolean;
  readonly cwd: string;
}

/**
 * The arguments of an inbox Redis: AOF with an fsync every second (what the inbox
 * engineer's design in docs/scaling.md assumes of each store; the mirror covers the
 * second a single machine could lose), no RDB snapshots, no eviction ever.
 */
export function inboxRedisArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--maxmemory-policy',
    'noeviction',
    '--daemonize',
    'no',
    '--logfile',
    '',
  ];
}

/** Answers true when a Redis on loopback `port` answers PING with PONG. */
export function redisAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      // A server still loading its AOF answers -LOADING: not ready yet.
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** Starts an inbox Redis and resolves once it answers PING (its AOF loaded). */
export function startInboxRedis(options: InboxRedisOptions): Promise<ProcessRecord> {
  return startRedisServer(options, inboxRedisArgs(options.port, path.resolve(options.dir)));
}

/**
 * Starts a Redis that keeps nothing on disk (as a cache, presence and rate-limit Redis
 * may), for the benchmark's REDIS_URL.
 */
export function startVolatileRedis(options: InboxRedisOptions): Promise<ProcessRecord> {
  const args = inboxRedisArgs(options.port, path.resolve(options.dir));
  args[args.indexOf('--appendonly') + 1] = 'no';
  return startRedisServer(options, args);
}

async function startRedisServer(
  options: InboxRedisOptions,
  args: readonly string[],
): Promise<ProcessRecord> {
  fs.mkdirSync(options.dir, { recursive: true });
  const child = spawnLogged({
    command: 'redis-server',
    args,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    logFile: options.logFile,
    cwd: options.cwd,
    detached: options.detached,
  });
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  child.once('error', () => (exited = -1));
  await waitFor(
    async () => {
      if (exited !== null) {
        throw new Error(
          `${options.name} (redis-server on port ${options.port}) exited with ${exited}:\n${tail(options.logFile)}`,
        );
      }
      return redisAnswers(options.port);
    },
    `${options.name} (redis-server on port ${options.port}) to answer`,
    { timeoutMs: 30_000, explain: () => tail(options.logFile) },
  );
  if (child.pid === undefined) throw new Error(`${options.name} has no pid`);
  return {
    role: 'inbox-redis',
    name: options.name,
    pid: child.pid,
    marker: `127.0.0.1:${options.port}\n`,
    logFile: options.logFile,
  };
}
