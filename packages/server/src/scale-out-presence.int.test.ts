import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisPresenceStore } from './adapters/redis/redis-presence-store.js';
import { TestSocket, type Frame } from './domains/chat/test-support/ws-client.js';
import { callApi, registerUser, type TestUser } from './test-support/accounts.js';
import {
  cleanUpCluster,
  createScratchPostgres,
  uniqueClusterName,
  waitFor,
  type ScratchPostgres,
} from './test-support/scale-out.js';
import { servicesAvailable, TEST_SERVICES } from './test-support/services.js';
import { startTestServer, type TestServer } from './test-support/test-app.js';

const TTL_MS = 1_000;

const presenceOf = (userId: string, online?: boolean) => (f: Frame) =>
  f.type === 'presence' && f.user === userId && (online === undefined || f.online === online);

describe.skipIf(!(await servicesAvailable(['postgres', 'redis', 'nats'])))(
  'presence when a node dies',
  () => {
    let database: ScratchPostgres;
    const cluster = uniqueClusterName();
    let a: TestServer;
    let b: TestServer;
    const sockets: TestSocket[] = [];

    const env = (nodeId: string) => ({
      DATABASE_URL: database.url,
      REDIS_URL: TEST_SERVICES.redis,
      NATS_URL: TEST_SERVICES.nats,
      CLUSTER_NAME: cluster,
      NODE_ID: nodeId,
      PRESENCE_TTL_MS: String(TTL_MS),
    });
    const connect = async (server: TestServer, token: string) => {
      const socket = await TestSocket.connect(server.baseUrl, token);
      sockets.push(socket);
      await socket.take((f) => f.type === 'synced');
      return socket;
    };
    /** A message from `from` (on node A) makes the two contacts. */
    const befriend = async (from: TestSocket, to: TestUser) => {
      expect((await from.sendMessage({ user: to.userId }, 'hello')).type).toBe('sent');
    };
    const presenceStore = (server: TestServer) => {
      const store = server.deps.scaleOut?.presenceStore();
      if (!(store instanceof RedisPresenceStore)) throw new Error('not a scale-out node');
      return store;
    };

    beforeAll(async () => {
      database = await createScratchPostgres();
      [a, b] = await Promise.all([startTestServer(env('node-a')), startTestServer(env('node-b'))]);
    });
    afterAll(async () => {
      for (const socket of sockets) socket.close();
      await a?.close();
      await b?.close();
      await database?.drop();
      await cleanUpCluster(cluster);
    });

    it('pushes `presence` offline to the contacts of the users of a node that stopped refreshing, within the TTL and a sweep', async () => {
      const [erin, hidden, moved, finn] = await Promise.all([
        registerUser(a.baseUrl),
        registerUser(a.baseUrl),
        registerUser(a.baseUrl),
        registerUser(b.baseUrl),
      ]);
      const hide = await callApi(a.baseUrl, 'PATCH', '/api/me', {
        token: hidden.token,
        body: { hideLastSeen: true },
      });
      expect(hide.status).toBe(200);
      const onA = await Promise.all([erin, hidden, moved].map((u) => connect(a, u.token)));
      for (const socket of onA) await befriend(socket, finn);
      // Moved: the device connects again through node B (node A drops its old socket).
      const movedAgain = await connect(b, moved.token);
      await onA[2]!.waitClosed();

      const finnSocket = await connect(b, finn.token);
      for (const user of [erin, hidden, moved]) {
        await finnSocket.take(presenceOf(user.userId, true));
      }

      // Node A "dies": its sockets stay open, but it neither refreshes nor closes them.
      await presenceStore(a).stop();
      const diedAt = Date.now();
      const erinOffline = await finnSocket.take(presenceOf(erin.userId, false), 10_000);
      const hiddenOffline = await finnSocket.take(presenceOf(hidden.userId, false), 10_000);
      const tookMs = Date.now() - diedAt;
      // Documented: within PRESENCE_TTL_MS and one sweep interval (a third of it here).
      expect(tookMs).toBeLessThanOrEqual(TTL_MS + presenceStore(b).sweepIntervalMs + 500);
      expect(erinOffline.lastSeen).toEqual(expect.any(Number));
      expect(erinOffline.lastSeen as number).toBeGreaterThan(diedAt - TTL_MS);
      expect(erinOffline.lastSeen as number).toBeLessThanOrEqual(diedAt);
      expect(hiddenOffline).toMatchObject({ online: false, lastSeen: null });
      const status = await callApi<{ online: boolean; lastSeen: number | null }>(
        b.baseUrl,
        'GET',
        `/api/users/${erin.userId}/presence`,
        { token: finn.token },
      );
      expect(status.body).toEqual({
        user: erin.userId,
        online: false,
        lastSeen: erinOffline.lastSeen,
      });

      // The device that moved stays online: no offline frame for it, and each lapse is
      // told once (two more sweeps of both nodes' worth of time).
      const until = Date.now() + 3 * presenceStore(b).sweepIntervalMs;
      await waitFor(() => Date.now() > until, 'more sweeps');
      await finnSocket.barrier();
      expect(finnSocket.frames.filter(presenceOf(moved.userId, false))).toEqual([]);
      expect(finnSocket.frames.filter(presenceOf(erin.userId, false))).toHaveLength(1);
      expect(finnSocket.frames.filter(presenceOf(hidden.userId, false))).toHaveLength(1);
      movedAgain.close();
      await finnSocket.take(presenceOf(moved.userId, false));
    });
  },
);
