import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanUpCluster,
  createScratchPostgres,
  uniqueClusterName,
  type ScratchPostgres,
} from './test-support/scale-out.js';
import { servicesAvailable, TEST_SERVICES } from './test-support/services.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');

/**
 * Builds and closes the whole app in a fresh process with `env`, and answers which of
 * the scale-out drivers that process loaded.
 */
async function driversLoaded(env: Record<string, string>): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-lazy-'));
  const script = path.join(dir, 'probe.mts');
  const src = import.meta.dirname;
  fs.writeFileSync(
    script,
    `import { createRequire } from 'node:module';
import { createApp } from ${JSON.stringify(path.join(src, 'app.ts'))};
import { parseConfig } from ${JSON.stringify(path.join(src, 'config.ts'))};
import { buildDeps } from ${JSON.stringify(path.join(src, 'deps.ts'))};
import { createLogger } from ${JSON.stringify(path.join(src, 'logger.ts'))};
const config = parseConfig({ ...JSON.parse(process.env.PROBE_ENV ?? '{}'), DATA_DIR: ${JSON.stringify(dir)}, PORT: '0' });
const deps = await buildDeps(config, createLogger('silent'));
const app = await createApp(deps);
await app.close();
await deps.close();
const drivers = new Set<string>();
for (const file of Object.keys(createRequire(import.meta.url).cache)) {
  const match = /node_modules\\/(pg|ioredis|@nats-io\\/[^/]+)\\//.exec(file);
  if (match !== null) drivers.add(match[1]!);
}
console.log(JSON.stringify([...drivers].sort()));
`,
  );
  try {
    const { stdout } = await run(
      process.execPath,
      ['--conditions=@switchboard/source', '--import', 'tsx', script],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, PROBE_ENV: JSON.stringify(env) },
      },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const engines = await servicesAvailable(['postgres', 'redis', 'nats']);

describe('scale-out drivers', () => {
  it('are never loaded by the embedded default', async () => {
    expect(await driversLoaded({})).toEqual([]);
  });

  describe.skipIf(!engines)('in a cluster', () => {
    let database: ScratchPostgres;
    const cluster = uniqueClusterName();
    afterAll(async () => {
      await database?.drop();
      await cleanUpCluster(cluster);
    });

    it('are loaded when the configuration names PostgreSQL, Redis and NATS', async () => {
      database = await createScratchPostgres();
      const loaded = await driversLoaded({
        DATABASE_URL: database.url,
        REDIS_URL: TEST_SERVICES.redis,
        NATS_URL: TEST_SERVICES.nats,
        CLUSTER_NAME: cluster,
      });
      expect(loaded).toEqual(
        expect.arrayContaining(['@nats-io/jetstream', '@nats-io/transport-node', 'ioredis', 'pg']),
      );
    });
  });
});
