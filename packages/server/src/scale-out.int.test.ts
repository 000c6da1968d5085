import type { Group, Link } from '@switchboard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSocket, type Frame } from './domains/chat/test-support/ws-client.js';
import { callApi, loginUser, registerUser, type TestUser } from './test-support/accounts.js';
import {
  cleanUpCluster,
  createScratchPostgres,
  uniqueClusterName,
  waitFor,
  type ScratchPostgres,
} from './test-support/scale-out.js';
import { servicesAvailable, TEST_SERVICES } from './test-support/services.js';
import { startTestServer, type TestServer } from './test-support/test-app.js';

/** The bound docs/scaling.md states for a change on one node to reach every node's cache. */
const INVALIDATION_BOUND_MS = 1_000;

describe.skipIf(!(await servicesAvailable(['postgres', 'redis', 'nats'])))(
  'two nodes on one PostgreSQL, Redis and NATS',
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
      CLICK_FLUSH_MS: '50',
      LINKS_PER_MINUTE_PER_IP: '0',
      LINKS_PER_MINUTE_PER_ACCOUNT: '0',
    });
    const connect = async (server: TestServer, token: string) => {
      const socket = await TestSocket.connect(server.baseUrl, token);
      sockets.push(socket);
      await socket.take((f) => f.type === 'synced');
      return socket;
    };
    const createLink = async (server: TestServer, user: TestUser, url: string) => {
      const res = await callApi<Link>(server.baseUrl, 'POST', '/api/links', {
        token: user.token,
        body: { url },
      });
      expect(res.status).toBe(201);
      return res.body;
    };
    const follow = (server: TestServer, code: string) =>
      fetch(`${server.baseUrl}/${code}`, { redirect: 'manual' });
    const isMsg = (id: string) => (f: Frame) => f.type === 'msg' && f.id === id;

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

    it('reports each engine in /readyz', async () => {
      const res = await fetch(`${a.baseUrl}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        status: 'ready',
        checks: { database: 'ok', redis: 'ok', nats: 'ok' },
      });
    });

    it('exposes what waits for an engine at /metrics', async () => {
      const text = await (await fetch(`${b.baseUrl}/metrics`)).text();
      for (const name of [
        'cluster_click_batches_unsent 0',
        'cluster_link_invalidations_unsent 0',
        'cluster_presence_registrations',
        'cluster_click_batches_written_total{outcome="written"}',
      ]) {
        expect(text).toContain(name);
      }
    });

    it('redirects on one node a link created on the other', async () => {
      const owner = await registerUser(a.baseUrl);
      const link = await createLink(a, owner, 'https://example.com/made-on-a');
      const res = await follow(b, link.code);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('https://example.com/made-on-a');
    });

    it('stops redirecting on the other node within the documented time once deleted', async () => {
      const owner = await registerUser(a.baseUrl);
      const link = await createLink(a, owner, 'https://example.com/to-delete');
      // Both nodes have it in their in-process caches.
      expect((await follow(a, link.code)).status).toBe(302);
      expect((await follow(b, link.code)).status).toBe(302);
      const res = await callApi(a.baseUrl, 'DELETE', `/api/links/${link.code}`, {
        token: owner.token,
      });
      expect(res.status).toBe(204);
      const deletedAt = performance.now();
      await waitFor(
        async () => (await follow(b, link.code)).status === 404,
        'B answers 404',
        INVALIDATION_BOUND_MS,
      );
      const took = performance.now() - deletedAt;
      console.info(
        `[measure] a deletion on node A reached node B's redirects in ${took.toFixed(1)} ms`,
      );
    });

    it('follows an edit made on the other node', async () => {
      const owner = await registerUser(b.baseUrl);
      const link = await createLink(b, owner, 'https://example.com/before');
      expect((await follow(a, link.code)).headers.get('location')).toBe(
        'https://example.com/before',
      );
      const res = await callApi(b.baseUrl, 'PATCH', `/api/links/${link.code}`, {
        token: owner.token,
        body: { url: 'https://example.com/after' },
      });
      expect(res.status).toBe(200);
      await waitFor(
        async () =>
          (await follow(a, link.code)).headers.get('location') === 'https://example.com/after',
        'A follows the edit',
        INVALIDATION_BOUND_MS,
      );
    });

    it('never hands two nodes the same code, creating at once', async () => {
      const owner = await registerUser(a.baseUrl);
      const made = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          createLink(i % 2 === 0 ? a : b, owner, `https://example.com/race/${i}`),
        ),
      );
      expect(new Set(made.map((l) => l.code)).size).toBe(60);
    });

    it('counts the clicks of both nodes once each', async () => {
      const owner = await registerUser(a.baseUrl);
      const link = await createLink(a, owner, 'https://example.com/clicked');
      for (let i = 0; i < 7; i++) expect((await follow(i < 4 ? a : b, link.code)).status).toBe(302);
      // What the database holds, not a node's view (which adds the clicks it still buffers).
      const stored = async () => {
        const row = await a.deps.database.db
          .selectFrom('links')
          .select('clicks')
          .where('code', '=', link.code)
          .executeTakeFirst();
        return Number(row?.clicks ?? -1);
      };
      await waitFor(async () => (await stored()) === 7, 'seven clicks stored', 10_000);
      for (const server of [a, b]) {
        const stats = await callApi<{ clicks: number }>(
          server.baseUrl,
          'GET',
          `/api/links/${link.code}/stats`,
          { token: owner.token },
        );
        expect(stats.body.clicks).toBe(7);
      }
      expect(await stored()).toBe(7);
    });

    it('delivers a message to a device on the other node, and its receipt back', async () => {
      const alice = await registerUser(a.baseUrl);
      const bob = await registerUser(b.baseUrl);
      const onA = await connect(a, alice.token);
      const onB = await connect(b, bob.token);
      const sent = await onA.sendMessage({ user: bob.userId }, { text: 'across nodes' });
      expect(sent.type).toBe('sent');
      const msg = await onB.take(isMsg(sent.id as string));
      expect(msg.body).toEqual({ text: 'across nodes' });
      expect(msg.from).toEqual({ user: alice.userId, device: alice.deviceId });
      onB.send({ type: 'ack', seq: msg.seq });
      const receipt = await onA.take((f) => f.type === 'receipt' && f.id === sent.id);
      expect(receipt.status).toBe('delivered');
    });

    it('measures a message from a socket on one node to a socket on the other', async () => {
      const alice = await registerUser(a.baseUrl);
      const bob = await registerUser(b.baseUrl);
      const onA = await connect(a, alice.token);
      const measure = async (receiver: TestSocket, label: string) => {
        const delays: number[] = [];
        for (let i = 0; i < 100; i++) {
          const id = `m-${label.replace(' ', '-')}-${i}-${Date.now()}`;
          const started = performance.now();
          onA.send({ type: 'send', id, to: { user: bob.userId }, body: i });
          const msg = await receiver.take(isMsg(id)).catch((error: unknown) => {
            throw new Error(`${String(error)}\nsender: ${JSON.stringify(onA.frames.slice(-5))}`);
          });
          delays.push(performance.now() - started);
          receiver.send({ type: 'ack', seq: msg.seq });
        }
        delays.sort((x, y) => x - y);
        const at = (q: number) => delays[Math.floor(delays.length * q)]!.toFixed(2);
        console.info(
          `[measure] send on node A to msg on ${label}: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms (100 messages, one at a time)`,
        );
        return delays;
      };
      const sameNode = await connect(a, bob.token);
      expect(await measure(sameNode, 'node A')).toHaveLength(100);
      sameNode.close();
      await sameNode.closed;
      const otherNode = await connect(b, bob.token);
      expect(await measure(otherNode, 'node B')).toHaveLength(100);
    });

    it('brings a group message to every member device, whichever node it is on', async () => {
      const alice = await registerUser(a.baseUrl);
      const bob = await registerUser(a.baseUrl);
      const carol = await registerUser(b.baseUrl);
      const carolPhone = await loginUser(a.baseUrl, carol, 'phone');
      const group = await callApi<Group>(a.baseUrl, 'POST', '/api/groups', {
        token: alice.token,
        body: { name: 'spread', members: [bob.userId, carol.userId] },
      });
      expect(group.status).toBe(201);
      const sender = await connect(a, alice.token);
      const receivers = [
        await connect(b, bob.token),
        await connect(b, carol.token),
        await connect(a, carolPhone.token),
      ];
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const sent = await sender.sendMessage({ group: group.body.groupId }, { n: i });
        expect(sent.type).toBe('sent');
        ids.push(sent.id as string);
      }
      for (const socket of receivers) {
        const got = await socket.takeAll(
          5,
          (f) => f.type === 'msg' && ids.includes(f.id as string),
        );
        expect(got.map((f) => f.body)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
      }
    });

    it('closes a revoked device on the other node at once', async () => {
      const dana = await registerUser(a.baseUrl);
      const laptop = await loginUser(b.baseUrl, dana, 'laptop');
      const onB = await connect(b, laptop.token);
      const res = await callApi(a.baseUrl, 'DELETE', `/api/devices/${laptop.deviceId}`, {
        token: dana.token,
      });
      expect(res.status).toBe(204);
      expect((await onB.waitClosed(5_000)).code).toBe(4004);
    });

    it('spends one rate-limit budget from both nodes', async () => {
      const gail = await registerUser(a.baseUrl);
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await callApi((i % 2 === 0 ? a : b).baseUrl, 'POST', '/api/auth/login', {
          body: { username: gail.username, password: 'wrong password!' },
        });
        statuses.push(res.status);
      }
      // AUTH_LOGIN_ATTEMPTS_PER_ACCOUNT is 10 failures per account, wherever they land.
      expect(statuses).toEqual([...Array<number>(10).fill(401), 429, 429]);
    });

    it('shows a user online on one node to a contact on the other', async () => {
      const erin = await registerUser(a.baseUrl);
      const finn = await registerUser(b.baseUrl);
      const erinSocket = await connect(a, erin.token);
      await erinSocket.sendMessage({ user: finn.userId }, 'hello');
      // The message makes them contacts (recorded in the background); then node B reads
      // Erin's registration, made by node A, from Redis.
      await waitFor(async () => {
        const res = await callApi<{ online: boolean }>(
          b.baseUrl,
          'GET',
          `/api/users/${erin.userId}/presence`,
          { token: finn.token },
        );
        return res.status === 200 && res.body.online;
      }, 'Erin online as node B sees it');
      const finnSocket = await connect(b, finn.token);
      await finnSocket.take(
        (f) => f.type === 'presence' && f.user === erin.userId && f.online === true,
      );
    });
  },
);
