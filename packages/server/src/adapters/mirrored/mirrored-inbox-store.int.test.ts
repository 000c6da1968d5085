import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe } from 'vitest';
import { runInboxStoreContract } from '../../domains/chat/inbox-store.contract.js';
import { createLogger } from '../../logger.js';
import { servicesAvailable, TEST_SERVICES } from '../../test-support/services.js';
import { MirroredInboxStore } from './mirrored-inbox-store.js';

/** Deletes every key under a prefix. */
async function deletePrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

// Both stores healthy: two logical databases of this machine's Redis stand for the two
// servers (the fault tests use private servers they can kill).
describe.skipIf(!(await servicesAvailable(['redis'])))(MirroredInboxStore.name, () => {
  runInboxStoreContract(async () => {
    const clients = [1, 2].map(
      (db) => new Redis(TEST_SERVICES.redis, { db, lazyConnect: true, enableOfflineQueue: false }),
    ) as [Redis, Redis];
    const prefix = `sbt_mirror_${randomBytes(5).toString('hex')}:`;
    const store = await MirroredInboxStore.open(clients, {
      prefix,
      logger: createLogger('silent'),
    });
    return {
      store,
      async dispose() {
        await store.close();
        for (const client of clients) {
          await deletePrefix(client, prefix);
          client.disconnect();
        }
      },
    };
  });
});
