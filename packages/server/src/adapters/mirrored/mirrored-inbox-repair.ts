import type { Fence, RedisInboxStore } from '../redis/redis-inbox-store.js';

/**
 * Copies every inbox, idempotency key and receipt state of `from` into `to`, a store
 * being repaired that receives writes at the same time. Each merge only adds what is
 * missing (an item at a seq it does not have and above what the device acknowledged,
 * a key it lacks, a receipt state further along), so a copy never undoes a write that
 * reached `to` directly, whatever the order. Answers how many items were added.
 *
 * `SCAN` returns every key that exists for the whole copy; one created meanwhile
 * reached `to` through its own write. `stopped` is asked between batches: a copy
 * given up (the node shuts down) throws, and the follower stays marked for repair.
 */
export async function copyInbox(
  from: RedisInboxStore,
  to: RedisInboxStore,
  fence: Fence,
  now: () => number,
  stopped: () => boolean = () => false,
): Promise<number> {
  const check = () => {
    if (stopped()) throw new Error('the repair was given up: the node is shutting down');
  };
  let items = 0;
  await from.scanDevices(async (deviceIds) => {
    check();
    const snapshot = await from.snapshotDevices(deviceIds);
    items += await to.mergeDevices(snapshot, fence, now());
  });
  await from.scanKeys(async (keys) => {
    check();
    await to.mergeKeys(await from.snapshotKeys(keys), fence, now());
  });
  await from.scanReceipts(async (members) => {
    check();
    await to.mergeReceipts(await from.snapshotReceipts(members), fence, now());
  });
  return items;
}
