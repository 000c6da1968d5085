import { afterEach, describe, expect, it } from 'vitest';
import type { NatsLocation } from '../../config.js';
import { runChatBusContract } from '../../domains/chat/chat-bus.contract.js';
import type { ChatBusEvent } from '../../domains/chat/chat-bus.js';
import { createLogger } from '../../logger.js';
import { uniqueClusterName, waitFor } from '../../test-support/scale-out.js';
import { servicesAvailable, TEST_SERVICES } from '../../test-support/services.js';
import { NatsChatBus, type RouteLookup } from './nats-chat-bus.js';
import { closeNats, openNats } from './nats-connection.js';

const logger = createLogger('silent');
const location: NatsLocation = {
  servers: [TEST_SERVICES.nats],
  user: undefined,
  pass: undefined,
  token: undefined,
};

/** One node's bus on its own connection. */
async function openNode(prefix: string, nodeId: string, routes: RouteLookup) {
  const nc = await openNats({ location, name: `test:${nodeId}`, logger });
  const bus = new NatsChatBus(nc, { prefix, nodeId, routes, logger });
  await bus.start();
  const seen: ChatBusEvent[] = [];
  bus.subscribe((event) => seen.push(event));
  return {
    bus,
    seen,
    async close() {
      bus.stop();
      await closeNats(nc);
    },
  };
}

describe.skipIf(!(await servicesAvailable(['nats'])))(NatsChatBus.name, () => {
  runChatBusContract(async () => {
    const node = await openNode(uniqueClusterName(), 'n1', (ids) =>
      Promise.resolve(ids.map(() => null)),
    );
    return { bus: node.bus, dispose: () => node.close() };
  });

  describe('between nodes', () => {
    const nodes: Array<{ close(): Promise<void> }> = [];
    afterEach(async () => {
      for (const node of nodes.splice(0)) await node.close();
    });

    /** Nodes a and b on one routing table: device `a*` is on a, `b*` on b, others nowhere. */
    async function twoNodes() {
      const prefix = uniqueClusterName();
      const routes: RouteLookup = (ids) =>
        Promise.resolve(
          ids.map((id) => (id.startsWith('a') ? 'a' : id.startsWith('b') ? 'b' : null)),
        );
      const a = await openNode(prefix, 'a', routes);
      const b = await openNode(prefix, 'b', routes);
      nodes.push(a, b);
      return { a, b };
    }

    it("brings a device's items to the node that holds it, and only there", async () => {
      const { a, b } = await twoNodes();
      const item: ChatBusEvent = {
        kind: 'items',
        deviceId: 'b1',
        items: [{ seq: 1, payload: '{}' }],
      };
      a.bus.publish(item);
      // A marker that everyone hears, published after: once it is in, the item would be too.
      a.bus.publish({ kind: 'blocks-changed', userIds: ['u'] });
      await waitFor(() => a.seen.length === 1 && b.seen.length === 2, 'marker heard');
      expect(b.seen[0]).toEqual(item);
      expect(a.seen).toEqual([{ kind: 'blocks-changed', userIds: ['u'] }]);
    });

    it('broadcasts what is for a device no node has registered', async () => {
      const { a, b } = await twoNodes();
      const item: ChatBusEvent = {
        kind: 'items',
        deviceId: 'x1',
        items: [{ seq: 4, payload: '{}' }],
      };
      b.bus.publish(item);
      await waitFor(() => a.seen.length === 1 && b.seen.length === 1, 'both heard');
      expect(a.seen).toEqual([item]);
    });

    it('sends disconnects to every node, since the older socket may be anywhere', async () => {
      const { a, b } = await twoNodes();
      const event: ChatBusEvent = {
        kind: 'disconnect',
        deviceId: 'a1',
        reason: 'replaced',
        keep: 'c9',
      };
      b.bus.publish(event);
      await waitFor(() => a.seen.length === 1 && b.seen.length === 1, 'both heard');
      expect(a.seen).toEqual([event]);
    });

    it('splits a frame by node, each node getting its own devices', async () => {
      const { a, b } = await twoNodes();
      a.bus.publish({ kind: 'frame', deviceIds: ['a1', 'b1', 'a2', 'b2'], frame: 'F' });
      await waitFor(() => a.seen.length === 1 && b.seen.length === 1, 'both heard');
      expect(a.seen).toEqual([{ kind: 'frame', deviceIds: ['a1', 'a2'], frame: 'F' }]);
      expect(b.seen).toEqual([{ kind: 'frame', deviceIds: ['b1', 'b2'], frame: 'F' }]);
    });

    it('keeps the publication order when a route is slow to look up', async () => {
      const prefix = uniqueClusterName();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slow: RouteLookup = async (ids) => {
        if (ids[0] === 'slow') await gate;
        return ids.map(() => 'b');
      };
      const a = await openNode(prefix, 'a', slow);
      const b = await openNode(prefix, 'b', slow);
      nodes.push(a, b);
      a.bus.publish({ kind: 'items', deviceId: 'slow', items: [{ seq: 1, payload: '1' }] });
      a.bus.publish({ kind: 'items', deviceId: 'fast', items: [{ seq: 2, payload: '2' }] });
      a.bus.publish({ kind: 'blocks-changed', userIds: [] });
      release();
      await waitFor(() => b.seen.length === 3, 'three events');
      expect(b.seen.map((e) => e.kind === 'items' && e.deviceId)).toEqual(['slow', 'fast', false]);
    });

    it('broadcasts when the routing table cannot answer', async () => {
      const prefix = uniqueClusterName();
      const broken: RouteLookup = () => Promise.reject(new Error('redis down'));
      const a = await openNode(prefix, 'a', broken);
      const b = await openNode(prefix, 'b', broken);
      nodes.push(a, b);
      a.bus.publish({ kind: 'items', deviceId: 'b1', items: [{ seq: 1, payload: '{}' }] });
      await waitFor(() => a.seen.length === 1 && b.seen.length === 1, 'both heard');
    });
  });
});
