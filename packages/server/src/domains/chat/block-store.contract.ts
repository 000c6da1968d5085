import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlockStore } from './block-store.js';

/** A store for one test, and how to throw it away. */
export interface BlockStoreFixture {
  readonly store: BlockStore;
  dispose(): Promise<void>;
}

/** The behaviour every `BlockStore` adapter must have. */
export function runBlockStoreContract(create: () => Promise<BlockStoreFixture>): void {
  describe('BlockStore contract', () => {
    let fixture: BlockStoreFixture;
    let store: BlockStore;
    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
    });
    afterEach(() => fixture.dispose());

    it('blocks once and keeps the first time', async () => {
      await store.block('alice', 'bob', 10);
      await store.block('alice', 'bob', 20);
      expect(await store.list('alice', 10)).toEqual([{ userId: 'bob', createdAt: 10 }]);
      expect(await store.list('bob', 10)).toEqual([]);
    });

    it('answers both directions of a user’s blocks', async () => {
      await store.block('alice', 'bob', 1);
      await store.block('carol', 'alice', 2);
      expect(await store.relations('alice')).toEqual({ blocked: ['bob'], blockedBy: ['carol'] });
      expect(await store.relations('bob')).toEqual({ blocked: [], blockedBy: ['alice'] });
      expect(await store.relations('dave')).toEqual({ blocked: [], blockedBy: [] });
    });

    it('unblocks', async () => {
      await store.block('alice', 'bob', 1);
      expect(await store.unblock('alice', 'bob')).toBe(true);
      expect(await store.unblock('alice', 'bob')).toBe(false);
      expect(await store.relations('bob')).toEqual({ blocked: [], blockedBy: [] });
    });

    it('lists blocks in pages by user id', async () => {
      for (const id of ['u3', 'u1', 'u2']) await store.block('alice', id, 5);
      expect((await store.list('alice', 2)).map((b) => b.userId)).toEqual(['u1', 'u2']);
      expect((await store.list('alice', 2, 'u2')).map((b) => b.userId)).toEqual(['u3']);
    });
  });
}
