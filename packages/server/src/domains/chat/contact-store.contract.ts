import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContactStore } from './contact-store.js';

/** A store for one test, and how to throw it away. */
export interface ContactStoreFixture {
  readonly store: ContactStore;
  dispose(): Promise<void>;
}

/** The behaviour every `ContactStore` adapter must have. */
export function runContactStoreContract(create: () => Promise<ContactStoreFixture>): void {
  describe('ContactStore contract', () => {
    let fixture: ContactStoreFixture;
    let store: ContactStore;
    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
    });
    afterEach(() => fixture.dispose());

    it('records contacts both ways, once', async () => {
      await store.record('alice', 'bob', 1);
      await store.record('bob', 'alice', 2);
      await store.record('alice', 'carol', 3);
      expect((await store.contactsOf('alice')).sort()).toEqual(['bob', 'carol']);
      expect(await store.contactsOf('bob')).toEqual(['alice']);
      expect(await store.contactsOf('dave')).toEqual([]);
      expect(await store.isContact('carol', 'alice')).toBe(true);
      expect(await store.isContact('bob', 'carol')).toBe(false);
    });

    it('does not make a user their own contact', async () => {
      await store.record('alice', 'alice', 1);
      expect(await store.contactsOf('alice')).toEqual([]);
    });
  });
}
