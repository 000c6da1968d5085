import { describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import type { AccountStore } from './account-store.js';
import type { DeviceChange } from './accounts.module.js';
import { DeviceDirectory } from './device-directory.js';

/** A store that answers device lists from a map, counting reads; reads can be held back. */
function fakeStore(devices: Map<string, string[]>) {
  let reads = 0;
  let gate: Promise<void> | null = null;
  const store = {
    async listDeviceIds(userId: string) {
      reads += 1;
      const snapshot = [...(devices.get(userId) ?? [])];
      if (gate !== null) await gate;
      return snapshot;
    },
  } as unknown as AccountStore;
  return {
    store,
    reads: () => reads,
    hold() {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

const silent = createLogger('silent');

describe(DeviceDirectory.name, () => {
  it('reads a user once, then answers from memory', async () => {
    const fake = fakeStore(new Map([['u1', ['d1', 'd2']]]));
    const directory = new DeviceDirectory(fake.store, silent);
    expect(await directory.devicesOf('u1')).toEqual(['d1', 'd2']);
    expect(await directory.devicesOf('u1')).toEqual(['d1', 'd2']);
    expect(fake.reads()).toBe(1);
  });

  it('shares one read among concurrent callers', async () => {
    const fake = fakeStore(new Map([['u1', ['d1']]]));
    const directory = new DeviceDirectory(fake.store, silent);
    const answers = await Promise.all(Array.from({ length: 20 }, () => directory.devicesOf('u1')));
    expect(answers.every((a) => a.length === 1 && a[0] === 'd1')).toBe(true);
    expect(fake.reads()).toBe(1);
  });

  it('hands out copies that callers may change', async () => {
    const fake = fakeStore(new Map([['u1', ['d1']]]));
    const directory = new DeviceDirectory(fake.store, silent);
    (await directory.devicesOf('u1')).push('intruder');
    expect(await directory.devicesOf('u1')).toEqual(['d1']);
  });

  it('forgets a user at a change and reads them again', async () => {
    const devices = new Map([['u1', ['d1']]]);
    const fake = fakeStore(devices);
    const directory = new DeviceDirectory(fake.store, silent);
    await directory.devicesOf('u1');
    devices.set('u1', ['d1', 'd2']);
    directory.announce([{ userId: 'u1', deviceId: 'd2', change: 'added' }]);
    expect(await directory.devicesOf('u1')).toEqual(['d1', 'd2']);
    expect(fake.reads()).toBe(2);
  });

  it('does not keep a read that raced a change', async () => {
    const devices = new Map([['u1', ['d1', 'd2']]]);
    const fake = fakeStore(devices);
    const directory = new DeviceDirectory(fake.store, silent);
    const release = fake.hold();
    const stale = directory.devicesOf('u1');
    devices.set('u1', ['d1']);
    directory.announce([{ userId: 'u1', deviceId: 'd2', change: 'revoked' }]);
    release();
    expect(await stale).toEqual(['d1', 'd2']);
    expect(await directory.devicesOf('u1')).toEqual(['d1']);
  });

  it('tells every listener, even after one throws, and stops after unsubscribing', () => {
    const directory = new DeviceDirectory(fakeStore(new Map()).store, silent);
    const heard: DeviceChange[] = [];
    directory.onDeviceChange(() => {
      throw new Error('broken listener');
    });
    const unsubscribe = directory.onDeviceChange((c) => heard.push(c));
    const change: DeviceChange = { userId: 'u1', deviceId: 'd1', change: 'revoked' };
    directory.announce([change]);
    expect(heard).toEqual([change]);
    unsubscribe();
    directory.announce([change]);
    expect(heard).toHaveLength(1);
  });
});
