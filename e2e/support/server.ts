import fs from 'node:fs';
import path from 'node:path';
import {
  spawnServer,
  type SpawnedServer,
} from '../../packages/server/src/test-support/spawn-server.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Settings for browser tests: many sign-ups and links from one address in a few
 * seconds are the tests' normal, not abuse, and clicks are flushed quickly so stats
 * pages show them without a long wait.
 */
export const E2E_ENV: Record<string, string> = {
  AUTH_REGISTRATIONS_PER_IP: '10000',
  AUTH_LOGIN_ATTEMPTS_PER_IP: '10000',
  LINKS_PER_MINUTE_PER_IP: '0',
  LINKS_PER_MINUTE_PER_ACCOUNT: '0',
  CLICK_FLUSH_MS: '100',
};

/**
 * Starts the built server (`npm run build` first: `npm run test:e2e` does) as its own
 * process on a free port and a fresh data directory. Stop it with `server.stop()`.
 */
export async function startServer(env: Record<string, string> = {}): Promise<SpawnedServer> {
  for (const built of ['packages/server/dist/main.js', 'packages/web/dist/index.html']) {
    if (!fs.existsSync(path.join(ROOT, built))) {
      throw new Error(`${built} is missing: run \`npm run build\` (or \`npm run test:e2e\`)`);
    }
  }
  return spawnServer({ entry: 'dist', env: { ...E2E_ENV, ...env } });
}
