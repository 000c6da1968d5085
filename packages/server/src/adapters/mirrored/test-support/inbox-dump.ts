import { Redis } from 'ioredis';
import { RedisInboxStore } from '../../redis/redis-inbox-store.js';

/**
 * Everything a Redis inbox store holds that a reader could see (inboxes with their
 * counters, message refs, idempotency keys, receipt state), in a canonical form, so
 * that a test can compare the two stores of a mirror.
 */
export async function dumpInboxStore(url: string, prefix: string): Promise<unknown> {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  try {
    const store = new RedisInboxStore(client, prefix);
    const devices: Record<string, unknown> = {};
    await store.scanDevices(async (ids) => {
      for (const id of ids) {
        const [last, acked] = await client.hmget(`${prefix}d:${id}`, 'l', 'f');
        const items = await store.read(id, 0, 1_000_000, Date.now());
        devices[id] = { last, acked, items, refs: await store.messagesUpTo(id, 2 ** 53, '') };
      }
    });
    const keys: Record<string, string | null> = {};
    await store.scanKeys(async (names) => {
      for (const name of names) keys[name] = await client.get(`${prefix}k:${name}`);
    });
    const receipts: Record<string, unknown> = {};
    await store.scanReceipts(async (members) => {
      for (const member of members) receipts[member] = await client.hgetall(`${prefix}r:${member}`);
    });
    return canonical({ devices, keys, receipts });
  } finally {
    client.disconnect();
  }
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([x], [y]) => (x < y ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}
