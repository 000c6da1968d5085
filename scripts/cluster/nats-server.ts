import fs from 'node:fs';
import path from 'node:path';
import {
  answersOk,
  freePort,
  spawnLogged,
  tail,
  waitFor,
  type ProcessRecord,
} from './processes.js';

/**
 * A private `nats-server` with JetStream (file storage in a directory of its own), for
 * the benchmark (its CPU is then the cluster's alone) and for the tests that restart
 * NATS. `npm run cluster` uses the machine's NATS instead.
 */

/** A running private NATS: its client URL, and its process. */
export interface PrivateNats {
  readonly url: string;
  readonly port: number;
  readonly record: ProcessRecord;
}

/** How to start one. */
export interface PrivateNatsOptions {
  readonly port: number;
  /** JetStream's store: streams and consumers survive a restart on the same directory. */
  readonly dir: string;
  readonly logFile: string;
  readonly cwd: string;
  readonly detached: boolean;
  /** The monitoring port (its /healthz says when JetStream is ready); a free one by default. */
  readonly monitorPort?: number;
}

/** Starts `nats-server -js` and resolves once its health endpoint says JetStream is ready. */
export async function startPrivateNats(options: PrivateNatsOptions): Promise<PrivateNats> {
  fs.mkdirSync(options.dir, { recursive: true });
  const monitorPort = options.monitorPort ?? (await freePort());
  const child = spawnLogged({
    command: fs.existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server',
    args: [
      '-a',
      '127.0.0.1',
      '-p',
      String(options.port),
      '-m',
      String(monitorPort),
      '-js',
      '-sd',
      path.resolve(options.dir),
    ],
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
        throw new Error(`nats-server exited with ${exited}:\n${tail(options.logFile)}`);
      }
      return answersOk(`http://127.0.0.1:${monitorPort}/healthz?js-enabled-only=true`);
    },
    `nats-server on port ${options.port} to be ready`,
    { timeoutMs: 30_000, explain: () => tail(options.logFile) },
  );
  if (child.pid === undefined) throw new Error('nats-server has no pid');
  return {
    url: `nats://127.0.0.1:${options.port}`,
    port: options.port,
    record: {
      role: 'engine',
      name: 'nats',
      pid: child.pid,
      marker: `-p\n${options.port}\n`,
      logFile: options.logFile,
    },
  };
}
