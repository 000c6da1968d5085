import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import readline from 'node:readline';

const ROOT = path.resolve(import.meta.dirname, '../../../..');

/** A server running as its own process, as an operator would run it. */
export interface SpawnedServer {
  readonly baseUrl: string;
  readonly port: number;
  readonly dataDir: string;
  readonly process: ChildProcess;
  /** Every log line the server printed (JSON), for assertions. */
  readonly logs: string[];
  /** Sends a signal and waits for the process to exit; resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Reuse a data directory (to restart a server on the same data). */
  dataDir?: string;
  /** Fixed port (to restart on the same address); default: a free one. */
  port?: number;
  /**
   * `source` runs the TypeScript through tsx; `dist` runs the build (`npm run build`
   * first); `npm-start` runs `npm start`, as the README tells a newcomer to.
   */
  entry?: 'source' | 'dist' | 'npm-start';
  /** Milliseconds to wait for the server to be ready. */
  timeoutMs?: number;
}

/**
 * Starts `main.ts` as a child process on the embedded default (or whatever `env`
 * configures) and resolves once it listens. Used by tests that send signals (SIGTERM
 * flushes, SIGKILL durability), by the e2e tests and by the benchmarks.
 */
export async function spawnServer(options: SpawnOptions = {}): Promise<SpawnedServer> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-proc-'));
  const entry = options.entry ?? 'source';
  // A fixed free port rather than 0, so that the default PUBLIC_URL is right.
  const chosenPort = options.port ?? (await freePort());
  const [command, args] =
    entry === 'npm-start'
      ? ['npm', ['start']]
      : [
          process.execPath,
          entry === 'source'
            ? [
                '--conditions=@switchboard/source',
                '--import',
                'tsx',
                path.join(ROOT, 'packages/server/src/main.ts'),
              ]
            : [path.join(ROOT, 'packages/server/dist/main.js')],
        ];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(chosenPort),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start in time:\n${logs.join('\n')}`)),
      options.timeoutMs ?? 30_000,
    );
    const onLine = (line: string) => {
      logs.push(line);
      if (!line.includes('Switchboard is ready')) return;
      try {
        const entry = JSON.parse(line) as { port?: number };
        if (typeof entry.port === 'number') {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        // not JSON: keep waiting
      }
    };
    readline.createInterface({ input: child.stdout }).on('line', onLine);
    readline.createInterface({ input: child.stderr }).on('line', (line) => logs.push(line));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it was ready:\n${logs.join('\n')}`));
    });
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    process: child,
    logs,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
