import { randomBytes } from 'node:crypto';
import type { Group, Link } from '@switchboard/shared';
import type { ConversationId, StoredMessage } from '@switchboard/sdk/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import {
  callApi,
  loginUser,
  registerUser,
  type TestUser,
} from '../../packages/server/src/test-support/accounts.js';
import { servicesAvailable } from '../../packages/server/src/test-support/services.js';
import type { ClusterNode } from '../../scripts/cluster/cluster.js';
import {
  connectThroughBalancer,
  follow,
  RecordedDevice,
  startTestCluster,
  waitFor,
  type TestCluster,
} from './support.js';

/**
 * The bound docs/scaling.md states: a link deleted or changed through one node stops
 * redirecting (or redirects to its new target) on every node within this time.
 */
const LINK_CHANGE_BOUND_MS = 1_000;

/** Generous waits for a loaded 2-core machine: conditions are polled, never slept on. */
const DELIVERY_TIMEOUT_MS = 60_000;

describe.skipIf(!(await servicesAvailable(['postgres', 'redis', 'nats'])))(
  'a 3-node cluster behind HAProxy',
  () => {
    let test: TestCluster;
    const devices: RecordedDevice[] = [];

    const device = (
      name: string,
      url: string,
      user: { token: string; userId: string; deviceId: string },
    ) => {
      const recorded = new RecordedDevice(name, url, {
        token: user.token,
        userId: user.userId,
        deviceId: user.deviceId,
      });
      devices.push(recorded);
      return recorded;
    };
    const nodes = () => test.cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
    const chatOf = (messages: readonly StoredMessage[], from: string, conversation: string) =>
      messages
        .filter(
          (m) => m.kind !== 'event' && m.from.user === from && m.conversationId === conversation,
        )
        .map((m) => m.id);
    const showLogsOnFailure = () => onTestFailed(() => console.error(test.logs(25)));

    beforeAll(async () => {
      test = await startTestCluster(3);
    }, 240_000);

    afterEach(async () => {
      await Promise.all(devices.splice(0).map((d) => d.close()));
    });

    afterAll(async () => {
      await test?.close();
    }, 120_000);

    it('redirects a link created through one node through every node and through the balancer', async () => {
      showLogsOnFailure();
      const { cluster } = test;
      const [first] = nodes();
      const owner = await registerUser(cluster.balancerUrl);
      const created = await callApi<Link>(first.url, 'POST', '/api/links', {
        token: owner.token,
        body: { url: 'https://example.com/made-on-node-1' },
      });
      expect(created.status).toBe(201);
      expect(created.body.shortUrl).toBe(`${cluster.balancerUrl}/${created.body.code}`);
      for (const node of cluster.nodes) {
        expect(await follow(node.url, created.body.code)).toEqual({
          status: 302,
          location: 'https://example.com/made-on-node-1',
        });
      }

      // Through the balancer, every node serves some of the requests (no stickiness).
      const before = new Map((await cluster.servers()).map((s) => [s.name, s.totalSessions]));
      for (let i = 0; i < 30; i++) {
        expect(await follow(cluster.balancerUrl, created.body.code)).toEqual({
          status: 302,
          location: 'https://example.com/made-on-node-1',
        });
      }
      const after = await cluster.servers();
      expect(after.map((s) => s.name).sort()).toEqual(['node-1', 'node-2', 'node-3']);
      for (const server of after) {
        expect(server.totalSessions, server.name).toBeGreaterThan(before.get(server.name) ?? 0);
      }
    });

    it('never gives two links the same code when every node creates at once', async () => {
      showLogsOnFailure();
      const owner = await registerUser(test.cluster.balancerUrl);
      const perNode = 40;
      const codes = (
        await Promise.all(
          nodes().map((node, n) =>
            Promise.all(
              Array.from({ length: perNode }, async (_, i) => {
                const res = await callApi<Link>(node.url, 'POST', '/api/links', {
                  token: owner.token,
                  body: { url: `https://example.com/concurrent/${n}/${i}` },
                });
                expect(res.status).toBe(201);
                return res.body.code;
              }),
            ),
          ),
        )
      ).flat();
      expect(new Set(codes).size).toBe(3 * perNode);
    });

    it(`stops redirecting on every node within ${LINK_CHANGE_BOUND_MS} ms a link deleted through one node, and follows an edit or an alias created as fast`, async () => {
      showLogsOnFailure();
      const { cluster } = test;
      const [first, second] = nodes();
      const owner = await registerUser(cluster.balancerUrl);
      const create = async (url: string) => {
        const res = await callApi<Link>(first.url, 'POST', '/api/links', {
          token: owner.token,
          body: { url },
        });
        expect(res.status).toBe(201);
        // Every node has it in its in-process cache (and Redis has it) before the change.
        for (const node of cluster.nodes) {
          expect((await follow(node.url, res.body.code)).status).toBe(302);
          expect((await follow(node.url, res.body.code)).status).toBe(302);
        }
        return res.body.code;
      };
      /** Milliseconds from `changedAt` until every node answers as `done` says. */
      const timeUntilEveryNode = async (
        changedAt: number,
        done: (answer: { status: number; location: string | null }) => boolean,
      ) => {
        const times = await Promise.all(
          cluster.nodes.map(async (node) => {
            await waitFor(
              async () => done(await follow(node.url, code)),
              `${node.name} to follow the change`,
              {
                timeoutMs: 15_000,
                intervalMs: 5,
              },
            );
            return performance.now() - changedAt;
          }),
        );
        return Math.max(...times);
      };

      let code = await create('https://example.com/to-delete');
      const deleted = await callApi(second.url, 'DELETE', `/api/links/${code}`, {
        token: owner.token,
      });
      expect(deleted.status).toBe(204);
      const deletion = await timeUntilEveryNode(performance.now(), (a) => a.status === 404);
      for (let i = 0; i < 6; i++)
        expect((await follow(cluster.balancerUrl, code)).status).toBe(404);

      code = await create('https://example.com/before-edit');
      const edited = await callApi(second.url, 'PATCH', `/api/links/${code}`, {
        token: owner.token,
        body: { url: 'https://example.com/after-edit' },
      });
      expect(edited.status).toBe(200);
      const edit = await timeUntilEveryNode(
        performance.now(),
        (a) => a.status === 302 && a.location === 'https://example.com/after-edit',
      );
      // An alias requested while it did not exist is remembered as unknown on each node;
      // creating it through one node must reach the others as fast.
      code = `cl-${randomBytes(4).toString('hex')}`;
      for (const node of cluster.nodes) expect((await follow(node.url, code)).status).toBe(404);
      const aliased = await callApi<Link>(first.url, 'POST', '/api/links', {
        token: owner.token,
        body: { url: 'https://example.com/new-alias', alias: code },
      });
      expect(aliased.status).toBe(201);
      const creation = await timeUntilEveryNode(
        performance.now(),
        (a) => a.status === 302 && a.location === 'https://example.com/new-alias',
      );
      console.info(
        `[measure] through separate processes: a deletion reached every node's redirects in ${deletion.toFixed(1)} ms, an edit in ${edit.toFixed(1)} ms, an alias creation in ${creation.toFixed(1)} ms`,
      );
      expect(deletion).toBeLessThan(LINK_CHANGE_BOUND_MS);
      expect(edit).toBeLessThan(LINK_CHANGE_BOUND_MS);
      expect(creation).toBeLessThan(LINK_CHANGE_BOUND_MS);
    });

    it('delivers every message to two devices of one user and to a group spread over three nodes', async () => {
      showLogsOnFailure();
      const { cluster } = test;
      const [n1, n2, n3] = nodes();
      const alice = await registerUser(n1.url);
      const aliceSecond = await loginUser(n2.url, alice, 'second device');
      const bob = await registerUser(n3.url);
      const carol = await registerUser(n2.url);
      // Each client talks to a chosen node directly, so that every delivery below
      // crosses nodes: alice's devices on 1 and 2, bob on 3, carol on 2.
      const a1 = device('alice-1', n1.url, alice);
      const a2 = device('alice-2', n2.url, aliceSecond);
      const b = device('bob', n3.url, bob);
      const c = device('carol', n2.url, carol);
      await Promise.all([a1, a2, b, c].map((d) => d.client.connect()));

      const group = await callApi<Group>(cluster.balancerUrl, 'POST', '/api/groups', {
        token: alice.token,
        body: { name: 'across nodes', members: [bob.userId, carol.userId] },
      });
      expect(group.status).toBe(201);
      const groupId = group.body.groupId;

      const count = 15;
      const sendAll = async (
        from: RecordedDevice,
        to: { user: string } | { group: string },
        tag: string,
      ) => {
        const ids: string[] = [];
        for (let i = 0; i < count; i++) ids.push((await from.client.send(to, { tag, i })).id);
        return ids;
      };
      const [aliceToBob, bobToAlice, aliceToGroup, bobToGroup, carolToGroup] = await Promise.all([
        sendAll(a1, { user: bob.userId }, 'a→b'),
        sendAll(b, { user: alice.userId }, 'b→a'),
        sendAll(a2, { group: groupId }, 'a→g'),
        sendAll(b, { group: groupId }, 'b→g'),
        sendAll(c, { group: groupId }, 'c→g'),
      ]);
      const toGroup: ConversationId = `group:${groupId}`;
      const expectations: [RecordedDevice, string, ConversationId, string[]][] = [
        [b, alice.userId, `user:${alice.userId}` as const, aliceToBob],
        [b, alice.userId, toGroup, aliceToGroup],
        [b, carol.userId, toGroup, carolToGroup],
        [c, alice.userId, toGroup, aliceToGroup],
        [c, bob.userId, toGroup, bobToGroup],
        [a1, bob.userId, `user:${bob.userId}`, bobToAlice],
        [a1, bob.userId, toGroup, bobToGroup],
        [a1, carol.userId, toGroup, carolToGroup],
        // The sender's other device gets what it sent, in both directions.
        [a1, alice.userId, toGroup, aliceToGroup],
        [a2, alice.userId, `user:${bob.userId}`, aliceToBob],
        [a2, bob.userId, `user:${bob.userId}`, bobToAlice],
        [a2, bob.userId, toGroup, bobToGroup],
        [a2, carol.userId, toGroup, carolToGroup],
      ];
      await waitFor(
        () =>
          expectations.every(
            ([d, from, conv, ids]) => chatOf(d.messages, from, conv).length >= ids.length,
          ),
        'every device to have every message',
        {
          timeoutMs: DELIVERY_TIMEOUT_MS,
          explain: () =>
            expectations
              .map(
                ([d, from, conv, ids]) =>
                  `${d.name} ${conv} from ${from}: ${chatOf(d.messages, from, conv).length}/${ids.length}`,
              )
              .join('\n'),
        },
      );
      for (const [d, from, conv, ids] of expectations) {
        const what = `${d.name}: ${conv} from ${from}`;
        const arrived = chatOf(d.messages, from, conv);
        if (conv === toGroup) {
          // Each group message is its own fan-out job, and the nodes' JetStream consumers
          // run jobs side by side: one sender's consecutive messages may reach an inbox in
          // either order. Exactly once, and shown in the order sent (the history sorts by
          // the server's timestamp, taken when the message was accepted).
          expect([...arrived].sort(), what).toEqual([...ids].sort());
          const history = await d.client.history(conv, { limit: 500 });
          expect(chatOf(history.messages, from, conv), `${what} (history)`).toEqual(ids);
        } else {
          // 1:1 messages are written to every inbox before `sent`: they arrive in order.
          expect(arrived, what).toEqual(ids);
        }
      }
      // Receipts cross nodes too: bob's device (node 3) acknowledged alice's messages, and
      // both of alice's devices (nodes 1 and 2) see them delivered.
      await waitFor(
        async () => {
          for (const d of [a1, a2]) {
            const history = await d.client.history(`user:${bob.userId}`, { limit: 100 });
            const mine = history.messages.filter((m) => m.from.user === alice.userId);
            if (
              mine.length < count ||
              mine.some((m) => m.status !== 'delivered' && m.status !== 'read')
            ) {
              return false;
            }
          }
          return true;
        },
        "alice's devices to see her messages to bob delivered",
        { timeoutMs: DELIVERY_TIMEOUT_MS },
      );
      for (const d of [a1, a2, b, c]) {
        expect(d.redeliveredAfterAck(), d.name).toEqual([]);
        expect(d.seqsOutOfOrder(), d.name).toEqual([]);
      }
    }, 120_000);

    it('loses nothing when a node is killed with SIGKILL while its clients send: they reconnect through the balancer', async () => {
      showLogsOnFailure();
      const { cluster } = test;
      const pairs = 6;
      const perSender = 120;
      const users: TestUser[] = [];
      for (let i = 0; i < 2 * pairs; i++) users.push(await registerUser(cluster.balancerUrl));
      const senders = users
        .slice(0, pairs)
        .map((u, i) => device(`sender-${i}`, cluster.balancerUrl, u));
      const receivers = users
        .slice(pairs)
        .map((u, i) => device(`receiver-${i}`, cluster.balancerUrl, u));
      const placed = await connectThroughBalancer(cluster, [...senders, ...receivers]);
      // The victim: the node holding the most senders (leastconn spreads them evenly).
      const sendersOn = (node: ClusterNode) => senders.filter((s) => placed.get(s) === node).length;
      const victim = [...cluster.nodes].sort((x, y) => sendersOn(y) - sendersOn(x))[0]!;
      const victims = [...senders, ...receivers].filter((d) => placed.get(d) === victim);
      expect(sendersOn(victim)).toBeGreaterThan(0);

      const ids = senders.map(() => [] as string[]);
      const sending = senders.map(async (sender, i) => {
        for (let n = 0; n < perSender; n++) {
          ids[i]!.push((await sender.client.send({ user: users[pairs + i]!.userId }, { n })).id);
        }
      });
      const answered = () => senders.reduce((sum, s) => sum + s.sent.length, 0);
      await waitFor(
        () => answered() >= (pairs * perSender) / 4,
        'a quarter of the messages answered sent',
        {
          timeoutMs: DELIVERY_TIMEOUT_MS,
        },
      );
      await victim.stop('SIGKILL');
      const killedAt = performance.now();
      const answeredBeforeKill = senders.map((s) => [...s.sent]);
      // Mid-stream: some were answered, not all.
      expect(answeredBeforeKill.flat().length).toBeLessThan(pairs * perSender);
      try {
        await Promise.all(sending);
        await waitFor(
          () => senders.every((s) => s.client.pendingCount === 0),
          'every outbox to empty',
          {
            timeoutMs: DELIVERY_TIMEOUT_MS,
            explain: () =>
              senders.map((s) => `${s.name}: ${s.client.pendingCount} pending`).join(', '),
          },
        );
        await waitFor(
          () => receivers.every((r, i) => r.idsFrom(users[i]!.userId).length >= perSender),
          'every receiver to have every message',
          {
            timeoutMs: DELIVERY_TIMEOUT_MS,
            explain: () =>
              receivers
                .map((r, i) => `${r.name}: ${r.idsFrom(users[i]!.userId).length}/${perSender}`)
                .join(', '),
          },
        );
        for (let i = 0; i < pairs; i++) {
          const receiver = receivers[i]!;
          // Exactly once, in the order sent, everything answered `sent` before the kill included.
          expect(receiver.idsFrom(users[i]!.userId), receiver.name).toEqual(ids[i]);
          expect(answeredBeforeKill[i]!.every((id) => ids[i]!.includes(id))).toBe(true);
          expect(receiver.redeliveredAfterAck(), receiver.name).toEqual([]);
          expect(receiver.seqsOutOfOrder(), receiver.name).toEqual([]);
        }
        // The killed node's clients came back through the balancer, to another node.
        for (const d of victims) {
          expect(d.sockets.length, d.name).toBeGreaterThanOrEqual(2);
          expect(d.client.state, d.name).toBe('online');
        }
        console.info(
          `[measure] SIGKILL of ${victim.name} (${victims.length} of ${2 * pairs} clients on it): every message delivered ${((performance.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
        );
        await waitFor(
          async () =>
            (await cluster.servers())
              .find((s) => s.name === victim.name)
              ?.status.startsWith('DOWN') ?? false,
          `the balancer to mark ${victim.name} down`,
        );
      } finally {
        await victim.start();
        await cluster.waitForBalancer(
          cluster.nodes.map((n) => n.name),
          60_000,
        );
      }
    }, 180_000);

    /**
     * Streams 1:1 messages between devices on different nodes (each connected to a
     * chosen node directly, so that every delivery crosses nodes), kills `engine` a
     * quarter of the way in, keeps it down until a node's /readyz says so and every
     * sender has sent during the outage, starts it again, and lets the last quarter go
     * after the restart. Every message answered `sent` must arrive exactly once, in
     * order, and live delivery across nodes must work again without reconnecting.
     */
    async function streamThroughOutage(engine: {
      name: string;
      kill(): Promise<void>;
      restart(): Promise<void>;
    }) {
      const { cluster } = test;
      const [n1, n2, n3] = nodes();
      const pairs: [ClusterNode, ClusterNode][] = [
        [n1, n2],
        [n2, n3],
        [n3, n1],
      ];
      const perSender = 80;
      const senders: RecordedDevice[] = [];
      const receivers: RecordedDevice[] = [];
      const receiverUsers: TestUser[] = [];
      const senderUsers: TestUser[] = [];
      for (const [i, [from, to]] of pairs.entries()) {
        const s = await registerUser(from.url);
        const r = await registerUser(to.url);
        senderUsers.push(s);
        receiverUsers.push(r);
        senders.push(device(`sender-${i}`, from.url, s));
        receivers.push(device(`receiver-${i}`, to.url, r));
      }
      await Promise.all([...senders, ...receivers].map((d) => d.client.connect()));
      // A link every node has cached, to follow through the balancer during the outage.
      const owner = await registerUser(cluster.balancerUrl);
      const link = await callApi<Link>(n1.url, 'POST', '/api/links', {
        token: owner.token,
        body: { url: 'https://example.com/during-the-outage' },
      });
      expect(link.status).toBe(201);
      for (const node of cluster.nodes)
        expect((await follow(node.url, link.body.code)).status).toBe(302);

      const ids = senders.map(() => [] as string[]);
      let restarted = false;
      const atGate = new Set<number>();
      const sending = senders.map(async (sender, i) => {
        for (let n = 0; n < perSender; n++) {
          ids[i]!.push((await sender.client.send({ user: receiverUsers[i]!.userId }, { n })).id);
          // The last quarter waits for the restart, so that the stream runs before,
          // during and after the outage.
          if (n === Math.floor((3 * perSender) / 4)) {
            atGate.add(i);
            await waitFor(() => restarted, 'the restart', { timeoutMs: DELIVERY_TIMEOUT_MS });
          }
        }
      });
      await waitFor(
        () => senders.every((s) => s.sent.length >= perSender / 4),
        'a quarter of each sender’s messages answered sent',
        { timeoutMs: DELIVERY_TIMEOUT_MS },
      );
      const sendFrames = (d: RecordedDevice) =>
        d.sockets.reduce(
          (n, socket) =>
            n +
            socket.timeline.filter((e) => e.direction === 'out' && e.frame.type === 'send').length,
          0,
        );
      await engine.kill();
      const killedAt = performance.now();
      const framesAtKill = senders.map(sendFrames);
      const answeredAtKill = senders.reduce((n, s) => n + s.sent.length, 0);
      expect(senders.every((s) => s.sent.length < perSender)).toBe(true);
      // Keep it down until the nodes have noticed (their /readyz names the engine)...
      await waitFor(
        async () => {
          const res = await fetch(`${n1.url}/readyz`).catch(() => null);
          const body = (await res?.json().catch(() => null)) as {
            checks?: Record<string, string>;
          } | null;
          return res?.status === 503 && (body?.checks?.[engine.name] ?? 'ok') !== 'ok';
        },
        `node-1 to report ${engine.name} down`,
        { timeoutMs: 30_000 },
      );
      // ...and until every sender has sent during the outage (or has sent all it sends
      // before the restart).
      await waitFor(
        () =>
          senders.every((sender, i) => sendFrames(sender) >= framesAtKill[i]! + 2 || atGate.has(i)),
        `every sender to send while ${engine.name} is down`,
        {
          timeoutMs: 30_000,
          explain: () =>
            senders
              .map(
                (sender, i) =>
                  `${sender.name}: ${sender.client.state}, ${sendFrames(sender) - framesAtKill[i]!} sends since the kill, ${sender.sockets.length} sockets`,
              )
              .join('\n'),
        },
      );
      // Every node's /readyz fails: the balancer takes them all out of switchboard_nodes
      // and serves from the nodes that are alive (/healthz) instead of answering 503.
      await waitFor(
        async () => (await cluster.servers()).every((server) => server.status.startsWith('DOWN')),
        'the balancer to see no node ready',
        { timeoutMs: 30_000 },
      );
      expect(await follow(cluster.balancerUrl, link.body.code)).toEqual({
        status: 302,
        location: 'https://example.com/during-the-outage',
      });
      const downFor = performance.now() - killedAt;
      const answeredInOutage = senders.reduce((n, s) => n + s.sent.length, 0) - answeredAtKill;
      await engine.restart();
      restarted = true;

      await Promise.all(sending);
      await waitFor(
        () => senders.every((s) => s.client.pendingCount === 0),
        'every outbox to empty',
        {
          timeoutMs: DELIVERY_TIMEOUT_MS,
          explain: () =>
            senders.map((s) => `${s.name}: ${s.client.pendingCount} pending`).join(', '),
        },
      );
      await waitFor(
        () => receivers.every((r, i) => r.idsFrom(senderUsers[i]!.userId).length >= perSender),
        'every receiver to have every message',
        {
          timeoutMs: DELIVERY_TIMEOUT_MS,
          explain: () =>
            receivers
              .map(
                (r, i) =>
                  `${r.name}: ${r.idsFrom(senderUsers[i]!.userId).length}/${perSender}, ${r.client.state}, ${r.sockets.length} sockets, last frames ${JSON.stringify(r.sockets.at(-1)?.timeline.slice(-2))}`,
              )
              .join('\n'),
        },
      );
      console.info(
        `[measure] ${engine.name} down for ${(downFor / 1000).toFixed(1)} s, ${answeredInOutage} messages answered sent meanwhile; every message delivered ${((performance.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
      );
      for (let i = 0; i < pairs.length; i++) {
        const receiver = receivers[i]!;
        expect(receiver.idsFrom(senderUsers[i]!.userId), receiver.name).toEqual(ids[i]);
        expect(receiver.redeliveredAfterAck(), receiver.name).toEqual([]);
        expect(receiver.seqsOutOfOrder(), receiver.name).toEqual([]);
      }
      // After the restart, live delivery across nodes works again without reconnecting.
      for (const [i, sender] of senders.entries()) {
        const socketsBefore = receivers[i]!.sockets.length;
        const late = await sender.client.send({ user: receiverUsers[i]!.userId }, { late: true });
        await waitFor(
          () => receivers[i]!.idsFrom(senderUsers[i]!.userId).includes(late.id),
          `${receivers[i]!.name} to get a message sent after the restart`,
          { timeoutMs: 30_000 },
        );
        expect(receivers[i]!.sockets.length, receivers[i]!.name).toBe(socketsBefore);
      }
      await cluster.waitForBalancer(
        cluster.nodes.map((n) => n.name),
        30_000,
      );
    }

    it('loses nothing when Redis restarts mid-stream (empty: it keeps nothing on disk)', async () => {
      showLogsOnFailure();
      await streamThroughOutage({
        name: 'redis',
        kill: () => test.redis.kill(),
        restart: () => test.redis.restart(),
      });
    }, 180_000);

    it('loses nothing when NATS restarts mid-stream (JetStream kept on disk)', async () => {
      showLogsOnFailure();
      await streamThroughOutage({
        name: 'nats',
        kill: () => test.nats.kill(),
        restart: () => test.nats.restart(),
      });
    }, 180_000);
  },
);
