import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startService, type ServiceProcess } from './processes.js';

/** The built server; the bench's npm scripts build it first. */
export const SERVER_ENTRY = path.join(ROOT, 'packages/server/dist/main.js');

/** How to start the Switchboard server for a benchmark. */
export interface SwitchboardOptions {
  /** Its data directory; a fresh temporary one by default. */
  readonly dataDir?: string;
  /** Extra configuration (rate limits, cache size...), on top of the benchmark defaults. */
  readonly env?: Record<string, string>;
  /** Opens the inspector: to force garbage collection before reading memory, to profile. */
  readonly inspect?: boolean;
}

/** A fresh, empty data directory for one run. */
export function freshDataDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `switchboard-bench-${label}-`));
}

/**
 * Starts the built server as its own process on the embedded default (SQLite in the
 * data directory), configured only through its environment, and waits for `/readyz`.
 * Logs at `warn` so that logging costs nothing on the measured paths; the web app is
 * not served (the benchmarks measure the API and redirects).
 */
export async function startSwitchboard(options: SwitchboardOptions = {}): Promise<ServiceProcess> {
  if (!fs.existsSync(SERVER_ENTRY)) {
    throw new Error(`${SERVER_ENTRY} is missing: build the server first (npm run build)`);
  }
  const dataDir = options.dataDir ?? freshDataDir('server');
  return startService({
    name: 'switchboard',
    script: SERVER_ENTRY,
    inspect: options.inspect,
    readyPath: '/readyz',
    env: {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      WEB_DIST_DIR: path.join(dataDir, 'no-web-app'),
      ...options.env,
    },
  });
}
