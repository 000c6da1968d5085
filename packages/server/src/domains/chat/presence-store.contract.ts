import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PresenceStore } from './presence-store.js';

/** A store for one test, and how to throw it away. */
export interface PresenceStoreFixture {
  readonly store: PresenceStore;
  dispose(): Promise<void>;
}

/** The behaviour every `PresenceStore` adapter must have. */
export function runPresenceStoreContract(create: () => Promise<PresenceStoreFixture>): void {
  describe('PresenceStore contract', () => {
    let fixture: PresenceStoreFixture;
    let store: PresenceStore;
    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
    });
    afterEach(() => fixture.dispose());

    it('is online from the first device connected to the last one gone', async () => {
      expect(await store.connect('alice', 'a1', 'c1')).toEqual({ cameOnline: true });
      expect(await store.connect('alice', 'a2', 'c2')).toEqual({ cameOnline: false });
      expect(await store.status(['alice'])).toEqual(
        new Map([['alice', { online: true, lastSeen: null }]]),
      );
      expect(await store.disconnect('alice', 'a1', 'c1', 100)).toEqual({ wentOffline: false });
      expect(await store.disconnect('alice', 'a2', 'c2', 200)).toEqual({ wentOffline: true });
      expect(await store.status(['alice', 'bob'])).toEqual(
        new Map([
          ['alice', { online: false, lastSeen: 200 }],
          ['bob', { online: false, lastSeen: null }],
        ]),
      );
    });

    it('ignores the close of a socket that was replaced', async () => {
      await store.connect('alice', 'a1', 'old');
      await store.connect('alice', 'a1', 'new');
      expect(await store.disconnect('alice', 'a1', 'old', 100)).toEqual({ wentOffline: false });
      expect(await store.onlineDevices(['alice'])).toEqual(new Map([['alice', ['a1']]]));
      expect(await store.disconnect('alice', 'a1', 'new', 200)).toEqual({ wentOffline: true });
    });

    it('lists the connected devices of users', async () => {
      await store.connect('alice', 'a1', 'c1');
      await store.connect('alice', 'a2', 'c2');
      await store.connect('bob', 'b1', 'c3');
      const online = await store.onlineDevices(['alice', 'bob', 'carol']);
      expect(online.get('alice')?.sort()).toEqual(['a1', 'a2']);
      expect(online.get('bob')).toEqual(['b1']);
      expect(online.has('carol')).toBe(false);
    });
  });
}
