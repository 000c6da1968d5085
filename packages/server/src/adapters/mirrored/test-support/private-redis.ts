import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A `redis-server` of a test's own, with an AOF in its own directory, that it may kill. */
export interface DurableRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The pid of the running server, or null while it is stopped. */
  pid(): number | null;
  /** SIGKILLs the server: what it acknowledged is in its AOF (written before each reply). */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (it reloads its AOF). */
  restart(): Promise<void>;
  /** Deletes its data files (while stopped): it comes back empty, as after a disk loss. */
  eraseData(): void;
  /** Kills it and removes its directory. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts `redis-server --appendonly yes --appendfsync <fsync>` on a free port in a
 * temporary directory, and waits until it accepts connections.
 */
export async function startDurableRedis(fsync: 'always' | 'everysec' = 'everysec') {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-inbox-redis-'));
  let child: ChildProcess | null = null;
  const start = async () => {
    const started = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        fsync,
        '--save',
        '',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start:\n${output}`)),
        15_000,
      );
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      };
      started.once('exit', onExit);
      started.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          started.off('exit', onExit);
          resolve();
        }
      });
    });
    started.stdout?.resume();
    started.stderr?.resume();
  };
  const kill = async () => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null || running.pid === undefined) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    process.kill(running.pid, 'SIGKILL');
    await exited;
  };
  await start();
  const redis: DurableRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    pid: () => child?.pid ?? null,
    kill,
    restart: start,
    eraseData() {
      if (child !== null) throw new Error('stop the server before erasing its data');
      for (const entry of fs.readdirSync(dir)) {
        fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
      }
    },
    async close() {
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return redis;
}

/** A TCP proxy in front of a server that a test can cut, to cut one node off from it. */
export interface CuttableProxy {
  readonly url: string;
  /** Drops every connection and refuses new ones. */
  cut(): void;
  /** Accepts connections again. */
  heal(): void;
  close(): Promise<void>;
}

/** Forwards `redis://127.0.0.1:<port>` to `target`, until cut. */
export async function startCuttableProxy(target: DurableRedis): Promise<CuttableProxy> {
  const sockets = new Set<net.Socket>();
  let open = true;
  const server = net.createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    heal() {
      open = true;
    },
    async close() {
      open = false;
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
