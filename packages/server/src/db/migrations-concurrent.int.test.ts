import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanUpCluster,
  createScratchPostgres,
  uniqueClusterName,
  type ScratchPostgres,
} from '../test-support/scale-out.js';
import { servicesAvailable, TEST_SERVICES } from '../test-support/services.js';
import { startTestServer, type TestServer } from '../test-support/test-app.js';
import { MIGRATIONS } from './migrations/index.js';

describe.skipIf(!(await servicesAvailable(['postgres', 'redis', 'nats'])))(
  'migrations of nodes starting at once',
  () => {
    let database: ScratchPostgres;
    const cluster = uniqueClusterName();
    const servers: TestServer[] = [];
    afterAll(async () => {
      for (const server of servers) await server.close();
      await database?.drop();
      await cleanUpCluster(cluster);
    });

    it('lets three apps migrate one fresh database at once, each migration applied once', async () => {
      database = await createScratchPostgres();
      const started = await Promise.allSettled(
        ['a', 'b', 'c'].map((node) =>
          startTestServer({
            DATABASE_URL: database.url,
            REDIS_URL: TEST_SERVICES.redis,
            NATS_URL: TEST_SERVICES.nats,
            CLUSTER_NAME: cluster,
            NODE_ID: node,
          }),
        ),
      );
      for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
      expect(started.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual([
        'ok',
        'ok',
        'ok',
      ]);
      const { rows } = await sql<{
        name: string;
      }>`select name from kysely_migration order by name`.execute(servers[0]!.deps.database.db);
      expect(rows.map((r) => r.name)).toEqual(Object.keys(MIGRATIONS).sort());
      for (const server of servers) {
        expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
      }
    });
  },
);
