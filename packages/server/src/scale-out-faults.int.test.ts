import type { Link } from '@switchboard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { buildDeps } from './deps.js';
import { TestSocket, type Frame } from './domains/chat/test-support/ws-client.js';
import { createLogger } from './logger.js';
import { callApi, registerUser } from './test-support/accounts.js';
import {
  cleanUpCluster,
  createScratchPostgres,
  startPrivateRedis,
  uniqueClusterName,
  waitFor,
  type PrivateRedis,
  type ScratchPostgres,
} from './test-support/scale-out.js';
import { servicesAvailable, TEST_SERVICES } from './test-support/services.js';
import { freePort, spawnServer } from './test-support/spawn-server.js';
import { startTestServer, type TestServer } from './test-support/test-app.js';

const logger = createLogger('silent');

/** Connections the server holds to a database, from PostgreSQL's own view. */
async function connectionsTo(url: string): Promise<number> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: TEST_SERVICES.postgres });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1',
      [new URL(url).pathname.slice(1)],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

describe.skipIf(!(await servicesAvailable(['postgres', 'redis', 'nats'])))(
  'scale-out faults',
  () => {
    let database: ScratchPostgres;
    beforeAll(async () => {
      database = await createScratchPostgres();
    });
    afterAll(() => database.drop());

    it('refuses to start without NATS, saying so, after closing what it opened', async () => {
      const port = await freePort();
      const config = parseConfig({
        DATABASE_URL: database.url,
        REDIS_URL: TEST_SERVICES.redis,
        NATS_URL: `nats://127.0.0.1:${port}`,
        CLUSTER_NAME: uniqueClusterName(),
      });
      await expect(buildDeps(config, logger)).rejects.toThrow(
        `NATS at nats://127.0.0.1:${port} is not reachable`,
      );
      await waitFor(async () => (await connectionsTo(database.url)) === 0, 'pool closed');
    });

    it('exits with that sentence when the process starts without NATS', async () => {
      const port = await freePort();
      // A database of its own: the process migrates it with the sources on disk.
      const own = await createScratchPostgres();
      await expect(
        spawnServer({
          env: {
            DATABASE_URL: own.url,
            REDIS_URL: TEST_SERVICES.redis,
            NATS_URL: `nats://127.0.0.1:${port}`,
            CLUSTER_NAME: uniqueClusterName(),
          },
          timeoutMs: 30_000,
        }),
      ).rejects.toThrow(
        new RegExp(`exited with 1[\\s\\S]*NATS at nats://127\\.0\\.0\\.1:${port} is not reachable`),
      );
      await own.drop();
    });

    it('refuses to start without Redis, saying so', async () => {
      const port = await freePort();
      const config = parseConfig({
        DATABASE_URL: database.url,
        REDIS_URL: `redis://127.0.0.1:${port}`,
        NATS_URL: TEST_SERVICES.nats,
        CLUSTER_NAME: uniqueClusterName(),
      });
      await expect(buildDeps(config, logger)).rejects.toThrow(
        `Redis at redis://127.0.0.1:${port} is not reachable`,
      );
    });

    it('closes its Redis and database connections when it shuts down', async () => {
      const cluster = uniqueClusterName();
      const server = await startTestServer({
        DATABASE_URL: database.url,
        REDIS_URL: TEST_SERVICES.redis,
        NATS_URL: TEST_SERVICES.nats,
        CLUSTER_NAME: cluster,
        NODE_ID: 'closing',
      });
      const { Redis } = await import('ioredis');
      const admin = new Redis(TEST_SERVICES.redis);
      const mine = async () => {
        const list = (await admin.call('CLIENT', 'LIST')) as string;
        return list.split('\n').filter((line) => line.includes(`name=${cluster}:closing:`)).length;
      };
      try {
        expect(await mine()).toBe(2); // commands, and the cache's subscription
        expect(await connectionsTo(database.url)).toBeGreaterThan(0);
        await server.close();
        await waitFor(async () => (await mine()) === 0, 'Redis connections closed');
        await waitFor(async () => (await connectionsTo(database.url)) === 0, 'pool closed');
      } finally {
        admin.disconnect();
        await server.close();
        await cleanUpCluster(cluster);
      }
    });

    describe('Redis restarted while two nodes serve', () => {
      let redis: PrivateRedis;
      let a: TestServer;
      let b: TestServer;
      const cluster = uniqueClusterName();
      const sockets: TestSocket[] = [];
      beforeAll(async () => {
        redis = await startPrivateRedis();
        const env = (node: string) => ({
          DATABASE_URL: database.url,
          REDIS_URL: redis.url,
          NATS_URL: TEST_SERVICES.nats,
          CLUSTER_NAME: cluster,
          NODE_ID: node,
          PRESENCE_TTL_MS: '3000',
          LINKS_PER_MINUTE_PER_IP: '0',
          LINKS_PER_MINUTE_PER_ACCOUNT: '0',
        });
        [a, b] = await Promise.all([startTestServer(env('a')), startTestServer(env('b'))]);
      });
      afterAll(async () => {
        for (const socket of sockets) socket.close();
        await a?.close();
        await b?.close();
        await redis?.close();
        await cleanUpCluster(cluster);
      });

      it('loses no redirect and no message, and registers the sockets again', async () => {
        const alice = await registerUser(a.baseUrl);
        const bob = await registerUser(b.baseUrl);
        const link = (
          await callApi<Link>(a.baseUrl, 'POST', '/api/links', {
            token: alice.token,
            body: { url: 'https://example.com/steady' },
          })
        ).body;
        const onA = await TestSocket.connect(a.baseUrl, alice.token);
        const onB = await TestSocket.connect(b.baseUrl, bob.token);
        sockets.push(onA, onB);
        await onB.take((f) => f.type === 'synced');
        const routeKey = `${cluster}:route:${bob.deviceId}`;
        const { Redis } = await import('ioredis');
        const probe = () =>
          new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: null });
        const routeOf = async () => {
          const client = probe();
          try {
            await client.connect();
            return await client.get(routeKey);
          } catch {
            return null;
          } finally {
            client.disconnect();
          }
        };
        expect(await routeOf()).toBe('b');

        const sent: string[] = [];
        const redirects: number[] = [];
        const step = async (i: number) => {
          const answer = await onA.sendMessage({ user: bob.userId }, { i });
          expect(answer.type).toBe('sent');
          sent.push(answer.id as string);
          redirects.push(
            (await fetch(`${(i % 2 === 0 ? a : b).baseUrl}/${link.code}`, { redirect: 'manual' }))
              .status,
          );
        };
        for (let i = 0; i < 10; i++) await step(i);
        await redis.kill();
        for (let i = 10; i < 20; i++) await step(i);
        await redis.restart();
        // The nodes reconnect, and the socket's registration comes back before its TTL.
        await waitFor(async () => (await routeOf()) === 'b', 'route registered again', 5_000);
        for (let i = 20; i < 30; i++) await step(i);

        expect(redirects).toEqual(Array<number>(30).fill(302));
        const received = await onB.takeAll(30, (f: Frame) => f.type === 'msg');
        expect(received.map((f) => f.id)).toEqual(sent);
        expect(received.map((f) => (f.body as { i: number }).i)).toEqual(
          Array.from({ length: 30 }, (_, i) => i),
        );
        await onB.barrier();
        expect(onB.pending((f) => f.type === 'msg')).toEqual([]);
      });
    });
  },
);
