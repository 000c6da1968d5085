import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RedisLocation } from '../../config.js';
import { runPresenceStoreContract } from '../../domains/chat/presence-store.contract.js';
import type { LapseListener } from '../../domains/chat/presence-store.js';
import { createLogger } from '../../logger.js';
import {
  deleteRedisKeys,
  startPrivateRedis,
  uniqueClusterName,
  waitFor,
} from '../../test-support/scale-out.js';
import { servicesAvailable, TEST_SERVICES } from '../../test-support/services.js';
import { closeRedis, openRedis } from './redis-connection.js';
import { RedisPresenceStore } from './redis-presence-store.js';

const logger = createLogger('silent');

/** One node's presence store on its own connection; `close` stops it and its connection. */
async function openNode(location: RedisLocation, prefix: string, nodeId: string, ttlMs = 30_000) {
  const redis = await openRedis({ location, name: `test:${nodeId}`, logger });
  const store = new RedisPresenceStore(redis, { prefix, nodeId, ttlMs, logger });
  store.start();
  return {
    store,
    redis,
    async close() {
      await store.stop();
      await closeRedis(redis);
    },
  };
}

/** A lapse listener that writes down what it hears. */
function recorder(told: string[]): LapseListener {
  return {
    lapsed: (userId) => {
      told.push(`lapsed ${userId}`);
      return Promise.resolve();
    },
    restored: (userId) => {
      told.push(`restored ${userId}`);
      return Promise.resolve();
    },
  };
}

describe.skipIf(!(await servicesAvailable(['redis'])))(RedisPresenceStore.name, () => {
  const run = uniqueClusterName();
  const location: RedisLocation = { kind: 'standalone', url: TEST_SERVICES.redis };
  let fixtures = 0;
  afterAll(() => deleteRedisKeys(run));

  runPresenceStoreContract(async () => {
    const node = await openNode(location, `${run}:${fixtures++}`, 'n1');
    return { store: node.store, dispose: () => node.close() };
  });

  describe('in a cluster', () => {
    const opened: Array<{ close(): Promise<void> }> = [];
    afterEach(async () => {
      for (const node of opened.splice(0)) await node.close();
    });
    const node = async (prefix: string, nodeId: string, ttlMs?: number) => {
      const n = await openNode(location, prefix, nodeId, ttlMs);
      opened.push(n);
      return n;
    };

    it('routes each device to the node that holds its socket, and forgets the route on close', async () => {
      const prefix = `${run}:${fixtures++}`;
      const a = await node(prefix, 'node-a');
      const b = await node(prefix, 'node-b');
      await a.store.connect('alice', 'a1', 'ca');
      await b.store.connect('bob', 'b1', 'cb');
      expect(await a.store.routesOf(['a1', 'b1', 'nobody'])).toEqual(['node-a', 'node-b', null]);
      // The device moves to node B: B's route wins, and A's late close does not erase it.
      await b.store.connect('alice', 'a1', 'ca2');
      expect(await a.store.disconnect('alice', 'a1', 'ca', 1)).toEqual({ wentOffline: false });
      expect(await a.store.routesOf(['a1'])).toEqual(['node-b']);
      expect(await b.store.disconnect('alice', 'a1', 'ca2', 2)).toEqual({ wentOffline: true });
      expect(await a.store.routesOf(['a1'])).toEqual([null]);
    });

    it('takes the devices of a node that died offline within the TTL', async () => {
      const prefix = `${run}:${fixtures++}`;
      const ttlMs = 600;
      const dying = await node(prefix, 'node-a', ttlMs);
      const alive = await node(prefix, 'node-b', ttlMs);
      await dying.store.connect('alice', 'a1', 'c1');
      await alive.store.connect('bob', 'b1', 'c2');
      // Refreshes keep both online well past one TTL.
      const until = Date.now() + 2 * ttlMs;
      await waitFor(() => Date.now() > until, 'two TTLs');
      expect((await alive.store.status(['alice'])).get('alice')?.online).toBe(true);

      await dying.store.stop(); // the node dies: no refresh, no disconnect
      const diedAt = Date.now();
      await waitFor(
        async () => (await alive.store.status(['alice'])).get('alice')?.online === false,
        'alice offline',
        5_000,
      );
      expect(Date.now() - diedAt).toBeLessThanOrEqual(ttlMs + 500);
      expect(await alive.store.onlineDevices(['alice', 'bob'])).toEqual(new Map([['bob', ['b1']]]));
      await waitFor(async () => (await alive.store.routesOf(['a1']))[0] === null, 'route gone');
      const lastSeen = (await alive.store.status(['alice'])).get('alice')?.lastSeen;
      expect(lastSeen).toBeGreaterThan(diedAt - ttlMs);
      expect(lastSeen).toBeLessThanOrEqual(Date.now());
      // Bob, on the living node, stayed online throughout.
      expect((await alive.store.status(['bob'])).get('bob')?.online).toBe(true);
    });

    it('tells one living node, once, of each user whose node died, with the last refresh as last seen', async () => {
      const prefix = `${run}:${fixtures++}`;
      const ttlMs = 600;
      const dying = await node(prefix, 'node-a', ttlMs);
      const b = await node(prefix, 'node-b', ttlMs);
      const c = await node(prefix, 'node-c', ttlMs);
      const told: Array<{ by: string; userId: string; lastSeen: number }> = [];
      for (const [by, n] of [
        ['a', dying],
        ['b', b],
        ['c', c],
      ] as const) {
        n.store.onLapse({
          lapsed: (userId, lastSeen) => {
            told.push({ by, userId, lastSeen });
            return Promise.resolve();
          },
          restored: (userId) => Promise.reject(new Error(`${userId} was not gone`)),
        });
      }
      await dying.store.connect('alice', 'a1', 'node-a.1');
      await dying.store.connect('alice', 'a2', 'node-a.2');
      await dying.store.connect('carol', 'k1', 'node-a.3');
      await b.store.connect('carol', 'k2', 'node-b.1');
      await b.store.connect('bob', 'b1', 'node-b.2');
      // A closed socket is not a lapse.
      await dying.store.connect('dave', 'd1', 'node-a.4');
      await dying.store.disconnect('dave', 'd1', 'node-a.4', 7);
      const until = Date.now() + ttlMs;
      await waitFor(() => Date.now() > until, 'one TTL');

      await dying.store.stop(); // the node dies: no refresh, no disconnect, no sweep
      const diedAt = Date.now();
      await waitFor(() => told.length > 0, 'alice told offline', 5_000);
      expect(Date.now() - diedAt).toBeLessThanOrEqual(ttlMs + b.store.sweepIntervalMs + 300);
      // Two more sweeps of both living nodes: nothing else is told.
      const settled = Date.now() + 3 * b.store.sweepIntervalMs;
      await waitFor(() => Date.now() > settled, 'more sweeps');
      expect(told).toEqual([
        { by: expect.stringMatching(/^[bc]$/), userId: 'alice', lastSeen: expect.any(Number) },
      ]);
      const lastSeen = told[0]!.lastSeen;
      expect(lastSeen).toBeGreaterThan(diedAt - ttlMs);
      expect(lastSeen).toBeLessThanOrEqual(diedAt);
      expect(await b.store.status(['alice', 'carol', 'bob', 'dave'])).toEqual(
        new Map([
          ['alice', { online: false, lastSeen }],
          ['carol', { online: true, lastSeen: null }],
          ['bob', { online: true, lastSeen: null }],
          ['dave', { online: false, lastSeen: 7 }],
        ]),
      );
      expect(await c.store.onlineDevices(['carol'])).toEqual(new Map([['carol', ['k2']]]));
    });

    it('tells nothing of a device that moved to another node before its first node died', async () => {
      const prefix = `${run}:${fixtures++}`;
      const ttlMs = 600;
      const dying = await node(prefix, 'node-a', ttlMs);
      const alive = await node(prefix, 'node-b', ttlMs);
      const told: string[] = [];
      for (const n of [dying, alive]) n.store.onLapse(recorder(told));
      await dying.store.connect('alice', 'a1', 'node-a.1');
      // The device reconnects to node B; node A dies before it closes the old socket.
      await alive.store.connect('alice', 'a1', 'node-b.1');
      await dying.store.stop();
      const until = Date.now() + 2 * ttlMs + 2 * alive.store.sweepIntervalMs;
      await waitFor(() => Date.now() > until, 'the old registration long lapsed');
      expect(told).toEqual([]);
      expect(await alive.store.onlineDevices(['alice'])).toEqual(new Map([['alice', ['a1']]]));
    });

    it('tells that a user is back when a node that stalled past the TTL registers the socket again', async () => {
      const prefix = `${run}:${fixtures++}`;
      // The stalled node refreshes every 3 s; the other sweeps every 200 ms.
      const stalled = await node(prefix, 'node-a', 9_000);
      const sweeper = await node(prefix, 'node-b', 600);
      const told: string[] = [];
      stalled.store.onLapse(recorder(told));
      sweeper.store.onLapse(recorder(told));
      await stalled.store.connect('alice', 'a1', 'node-a.1');
      // As if its refreshes had not run for a TTL: the registration expired.
      const devices = `${prefix}:presence:{u:alice}:devices`;
      await stalled.redis.zadd(devices, 1, 'a1');
      await stalled.redis.zadd(
        `${prefix}:presence:lapses`,
        1,
        JSON.stringify(['alice', 'a1', 'node-a.1']),
      );
      await waitFor(() => told.length > 0, 'alice told offline');
      expect(told).toEqual(['lapsed alice']);
      expect((await sweeper.store.status(['alice'])).get('alice')?.online).toBe(false);
      // The node's next refresh registers the socket again: its contacts hear it is back.
      await waitFor(() => told.length > 1, 'alice told back', 5_000);
      expect(told).toEqual(['lapsed alice', 'restored alice']);
      expect((await sweeper.store.status(['alice'])).get('alice')?.online).toBe(true);
      expect(await sweeper.store.routesOf(['a1'])).toEqual(['node-a']);
      // Once: later refreshes only extend it.
      const until = Date.now() + 3_500;
      await waitFor(() => Date.now() > until, 'another refresh');
      expect(told).toEqual(['lapsed alice', 'restored alice']);
    });

    it('registers its sockets again when Redis comes back empty after a restart', async () => {
      const server = await startPrivateRedis();
      try {
        const privateLocation: RedisLocation = { kind: 'standalone', url: server.url };
        const on = await openNode(privateLocation, 'p', 'node-a', 1_500);
        opened.push(on);
        const told: string[] = [];
        on.store.onLapse(recorder(told));
        await on.store.connect('alice', 'a1', 'c1');
        await on.store.connect('alice', 'a2', 'c2');
        await on.store.disconnect('alice', 'a2', 'c2', 5);
        expect(on.store.localCount).toBe(1);

        await server.kill();
        await server.restart();
        // Redis came back empty; the node's registrations come back as soon as it reconnects.
        await waitFor(
          async () =>
            on.redis.status === 'ready' &&
            (await on.store.onlineDevices(['alice'])).get('alice')?.[0] === 'a1',
          'a1 registered again',
        );
        expect(await on.store.routesOf(['a1', 'a2'])).toEqual(['node-a', null]);
        // Nothing lapsed meanwhile: no user is told offline.
        const until = Date.now() + 1_500 + 2 * on.store.sweepIntervalMs;
        await waitFor(() => Date.now() > until, 'a TTL and two sweeps');
        expect(told).toEqual([]);
        expect((await on.store.status(['alice'])).get('alice')?.online).toBe(true);
        expect(await on.store.disconnect('alice', 'a1', 'c1', 9)).toEqual({ wentOffline: true });
      } finally {
        await server.close();
      }
    });
  });
});
