import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { runInboxStoreContract } from '../../domains/chat/inbox-store.contract.js';
import { servicesAvailable, TEST_SERVICES } from '../../test-support/services.js';
import { RedisInboxStore } from './redis-inbox-store.js';

/** Deletes every key under a prefix. */
async function deletePrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

describe.skipIf(!(await servicesAvailable(['redis'])))(RedisInboxStore.name, () => {
  runInboxStoreContract(async () => {
    const client = new Redis(TEST_SERVICES.redis, { lazyConnect: true });
    await client.connect();
    const prefix = `sbt_inbox_${randomBytes(5).toString('hex')}:`;
    const store = new RedisInboxStore(client, prefix);
    return {
      store,
      async dispose() {
        await store.close();
        await deletePrefix(client, prefix);
        client.disconnect();
      },
    };
  });

  describe('sweep', () => {
    let client: Redis;
    let prefix: string;
    afterEach(async () => {
      await deletePrefix(client, prefix);
      client.disconnect();
    });

    it('deletes a large expired backlog a bounded step at a time, from the front of each inbox', async () => {
      client = new Redis(TEST_SERVICES.redis, { lazyConnect: true });
      await client.connect();
      prefix = `sbt_inbox_${randomBytes(5).toString('hex')}:`;
      const store = new RedisInboxStore(client, prefix);
      const write = (id: string) => ({
        kind: 'msg' as const,
        payload: JSON.stringify({ type: 'msg', id }),
        deviceIds: ['d1'],
      });
      for (let i = 0; i < 2_500; i++) {
        await store.deliver({ ts: 1, expiresAt: 1_000, writes: [write(`old${i}`)] });
      }
      await store.deliver({ ts: 1, expiresAt: 5_000, writes: [write('live')] });
      // Expires before the live item ahead of it: hidden at once, deleted later.
      await store.deliver({ ts: 1, expiresAt: 1_500, writes: [write('behind')] });
      expect(await store.sweep(2_000)).toBe(2_500);
      const left = await store.read('d1', 0, 10, 2_000);
      expect(left.map((i) => JSON.parse(i.payload) as { id: string })).toEqual([
        { type: 'msg', id: 'live' },
      ]);
      expect(await client.zcard(`${prefix}i:d1`)).toBe(2);
      expect(await store.sweep(6_000)).toBe(2);
      expect(await client.exists(`${prefix}i:d1`, `${prefix}d:d1`)).toBe(1);
      expect(await store.lastSeq('d1')).toBe(2_502);
    });
  });
});
