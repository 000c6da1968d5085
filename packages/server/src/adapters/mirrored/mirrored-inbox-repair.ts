import type { Fence, RedisInboxStore } from '../redis/redis-inbox-store.js';

/** Devices per snapshot call of a repair copy. */
const DEVICES_PER_CALL = 50;
/** Items per device per snapshot call: a large backlog is copied a page at a time. */
const ITEMS_PER_PAGE = 200;

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
    const pending: Array<[string, number]> = deviceIds.map((id) => [id, 0]);
    while (pending.length > 0) {
      check();
      const snapshot = await from.snapshotDevices(
        pending.splice(0, DEVICES_PER_CALL),
        ITEMS_PER_PAGE,
      );
      items += await to.mergeDevices(snapshot, fence, now());
      for (const device of snapshot.devices) {
        if (device.next !== null) pending.push([device.deviceId, device.next]);
      }
    }
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
