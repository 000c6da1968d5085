import { afterEach, describe, expect, it } from 'vitest';
import type { NatsLocation } from '../../config.js';
import type { AccountStore } from '../../domains/accounts/account-store.js';
import type { DeviceChange } from '../../domains/accounts/accounts.module.js';
import { DeviceDirectory } from '../../domains/accounts/device-directory.js';
import { createLogger } from '../../logger.js';
import { uniqueClusterName, waitFor } from '../../test-support/scale-out.js';
import { servicesAvailable, TEST_SERVICES } from '../../test-support/services.js';
import { closeNats, openNats } from './nats-connection.js';
import { NatsDeviceChanges } from './nats-device-changes.js';

const logger = createLogger('silent');
const location: NatsLocation = {
  servers: [TEST_SERVICES.nats],
  user: undefined,
  pass: undefined,
  token: undefined,
};

/** A directory over a shared "database" of devices, as each node has. */
function directoryOn(devices: Map<string, string[]>) {
  const store = {
    listDeviceIds: (userId: string) => Promise.resolve([...(devices.get(userId) ?? [])]),
  } as unknown as AccountStore;
  return new DeviceDirectory(store, logger);
}

describe.skipIf(!(await servicesAvailable(['nats'])))(NatsDeviceChanges.name, () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function node(prefix: string, nodeId: string, devices: Map<string, string[]>) {
    const nc = await openNats({ location, name: nodeId, logger });
    const changes = new NatsDeviceChanges(nc, { prefix, nodeId, logger });
    const directory = directoryOn(devices);
    await changes.share(directory);
    const heard: DeviceChange[] = [];
    directory.onDeviceChange((c) => heard.push(c));
    closers.push(async () => {
      changes.stop();
      await closeNats(nc);
    });
    return { directory, heard };
  }

  it('tells every other node once, which drops its cached list and tells its listeners', async () => {
    const prefix = uniqueClusterName();
    const db = new Map([['alice', ['phone', 'laptop']]]);
    const a = await node(prefix, 'a', db);
    const b = await node(prefix, 'b', db);
    const c = await node(prefix, 'c', db);
    expect(await b.directory.devicesOf('alice')).toEqual(['phone', 'laptop']);
    expect(await c.directory.devicesOf('alice')).toEqual(['phone', 'laptop']);

    // Node A revokes the laptop (the database first, then the announcement).
    db.set('alice', ['phone']);
    const revoked: DeviceChange = { userId: 'alice', deviceId: 'laptop', change: 'revoked' };
    a.directory.announce([revoked]);
    await waitFor(() => b.heard.length === 1 && c.heard.length === 1, 'B and C heard');
    expect(b.heard).toEqual([revoked]);
    // Within the cache's lifetime, yet every node reads the new list.
    expect(await b.directory.devicesOf('alice')).toEqual(['phone']);
    expect(await c.directory.devicesOf('alice')).toEqual(['phone']);
    // Nobody echoes: A heard its own change once, the others once each.
    const added: DeviceChange = { userId: 'alice', deviceId: 'tablet', change: 'added' };
    b.directory.announce([added]);
    await waitFor(() => a.heard.length === 2 && c.heard.length === 2, 'A and C heard');
    expect(a.heard).toEqual([revoked, added]);
    expect(b.heard).toEqual([revoked, added]);
  });
});
