import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe } from 'vitest';
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
});
