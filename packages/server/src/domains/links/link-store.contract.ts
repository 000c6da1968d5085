import { AppError } from '@switchboard/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../ids.js';
import type { LinkStore, NewLink } from './link-store.js';

/** A store under test, and how to throw it away. */
export interface LinkStoreFixture {
  readonly links: LinkStore;
  dispose(): Promise<void>;
}

let sequence = 0;

/** A link to insert, with fields a test may override. */
export function aLink(overrides: Partial<NewLink> = {}): NewLink {
  sequence++;
  const now = 1_700_000_000_000 + sequence;
  return {
    id: newId(now),
    code: `code${sequence.toString().padStart(3, '0')}`,
    url: `https://example.com/${sequence}`,
    ownerId: null,
    passwordHash: null,
    redirectType: 302,
    expiresAt: null,
    maxClicks: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

/**
 * The behaviour every `LinkStore` adapter must have. `synchronousReads`: whether the
 * adapter offers `findByCodeNow` (SQLite), which must then answer as `findByCode` does.
 */
export function runLinkStoreContract(
  name: string,
  create: () => Promise<LinkStoreFixture>,
  synchronousReads: boolean,
): void {
  describe(`LinkStore contract: ${name}`, () => {
    let fixture: LinkStoreFixture;
    let links: LinkStore;
    beforeEach(async () => {
      fixture = await create();
      links = fixture.links;
    });
    afterEach(() => fixture.dispose());

    it('finds an inserted link by its code with every field intact', async () => {
      const link = aLink({
        ownerId: 'user-1',
        passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
        redirectType: 308,
        expiresAt: 1_900_000_000_123,
        maxClicks: 5,
      });
      expect(await links.insert(link)).toEqual({ ...link, clicks: 0 });
      expect(await links.findByCode(link.code)).toEqual({ ...link, clicks: 0 });
    });

    it('answers null for an unknown code', async () => {
      expect(await links.findByCode('nothing')).toBeNull();
    });

    it(
      synchronousReads
        ? 'answers findByCodeNow in the same turn as findByCode answers'
        : 'offers no findByCodeNow',
      async () => {
        if (!synchronousReads) {
          expect(links.findByCodeNow).toBeUndefined();
          return;
        }
        const link = aLink({ code: 'SyncCase', maxClicks: 3, expiresAt: 1_900_000_000_000 });
        await links.insert(link);
        expect(await links.countLimitedClick(link.id)).toBe('counted');
        expect(links.findByCodeNow!('SyncCase')).toEqual({ ...link, clicks: 1 });
        expect(links.findByCodeNow!('SyncCase')).toEqual(await links.findByCode('SyncCase'));
        expect(links.findByCodeNow!('synccase')).toBeNull();
        expect(links.findByCodeNow!('nothing')).toBeNull();
      },
    );

    it('treats codes as case-sensitive', async () => {
      await links.insert(aLink({ code: 'MixedCase' }));
      await links.insert(aLink({ code: 'mixedcase' }));
      expect((await links.findByCode('MixedCase'))?.code).toBe('MixedCase');
      expect((await links.findByCode('mixedcase'))?.code).toBe('mixedcase');
      expect(await links.findByCode('MIXEDCASE')).toBeNull();
    });

    it('refuses a second link with the same code as ALIAS_TAKEN', async () => {
      await links.insert(aLink({ code: 'taken' }));
      const error = await links.insert(aLink({ code: 'taken' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('ALIAS_TAKEN');
    });

    it('keeps exactly one link when two inserts of one code race', async () => {
      const results = await Promise.allSettled([
        links.insert(aLink({ code: 'race', url: 'https://a.example/' })),
        links.insert(aLink({ code: 'race', url: 'https://b.example/' })),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected');
      expect((rejected?.reason as AppError).code).toBe('ALIAS_TAKEN');
    });

    it("lists an owner's links newest first, page by page, without the others'", async () => {
      const mine = [];
      for (let i = 0; i < 5; i++) {
        mine.push(await links.insert(aLink({ ownerId: 'owner-a', createdAt: 1000 + i })));
      }
      // Two links in the same millisecond are ordered by id.
      mine.push(await links.insert(aLink({ ownerId: 'owner-a', createdAt: 1004 })));
      await links.insert(aLink({ ownerId: 'owner-b' }));
      await links.insert(aLink({ ownerId: null }));

      const expected = [...mine].sort((a, b) =>
        b.createdAt !== a.createdAt ? b.createdAt - a.createdAt : b.id < a.id ? -1 : 1,
      );
      const first = await links.listByOwner('owner-a', 4, null);
      expect(first.map((l) => l.id)).toEqual(expected.slice(0, 4).map((l) => l.id));
      const last = first.at(-1)!;
      const second = await links.listByOwner('owner-a', 4, {
        createdAt: last.createdAt,
        id: last.id,
      });
      expect(second.map((l) => l.id)).toEqual(expected.slice(4).map((l) => l.id));
      expect(await links.listByOwner('nobody', 10, null)).toEqual([]);
    });

    it('changes only the fields given, and can clear them', async () => {
      const link = await links.insert(
        aLink({ expiresAt: 5_000_000_000_000, maxClicks: 3, passwordHash: 'hash' }),
      );
      const changed = await links.update(link.id, {
        url: 'https://changed.example/',
        redirectType: 301,
        updatedAt: link.updatedAt + 10,
      });
      expect(changed).toEqual({
        ...link,
        url: 'https://changed.example/',
        redirectType: 301,
        updatedAt: link.updatedAt + 10,
      });
      const cleared = await links.update(link.id, {
        expiresAt: null,
        maxClicks: null,
        passwordHash: null,
        updatedAt: link.updatedAt + 20,
      });
      expect(cleared).toMatchObject({ expiresAt: null, maxClicks: null, passwordHash: null });
      expect(await links.findByCode(link.code)).toEqual(cleared);
    });

    it('answers null when changing a link that does not exist', async () => {
      expect(await links.update(newId(), { url: 'https://x.example/', updatedAt: 1 })).toBeNull();
    });

    it('deletes a link once', async () => {
      const link = await links.insert(aLink());
      expect(await links.delete(link.id)).toBe(true);
      expect(await links.findByCode(link.code)).toBeNull();
      expect(await links.delete(link.id)).toBe(false);
      // The code is free again.
      await links.insert(aLink({ code: link.code }));
    });

    it('counts limited clicks up to the limit and no further', async () => {
      const link = await links.insert(aLink({ maxClicks: 2 }));
      expect(await links.countLimitedClick(link.id)).toBe('counted');
      expect(await links.countLimitedClick(link.id)).toBe('counted');
      expect(await links.countLimitedClick(link.id)).toBe('exhausted');
      expect((await links.findByCode(link.code))?.clicks).toBe(2);
    });

    it('counts exactly the limit when many clicks race', async () => {
      const link = await links.insert(aLink({ maxClicks: 7 }));
      const verdicts = await Promise.all(
        Array.from({ length: 30 }, () => links.countLimitedClick(link.id)),
      );
      expect(verdicts.filter((v) => v === 'counted')).toHaveLength(7);
      expect(verdicts.filter((v) => v === 'exhausted')).toHaveLength(23);
      expect((await links.findByCode(link.code))?.clicks).toBe(7);
    });

    it('tells unlimited and missing links apart from exhausted ones', async () => {
      const link = await links.insert(aLink({ maxClicks: null }));
      expect(await links.countLimitedClick(link.id)).toBe('unlimited');
      expect((await links.findByCode(link.code))?.clicks).toBe(0);
      expect(await links.countLimitedClick(newId())).toBe('missing');
    });

    it('lets a raised limit count again', async () => {
      const link = await links.insert(aLink({ maxClicks: 1 }));
      expect(await links.countLimitedClick(link.id)).toBe('counted');
      expect(await links.countLimitedClick(link.id)).toBe('exhausted');
      await links.update(link.id, { maxClicks: 2, updatedAt: link.updatedAt + 1 });
      expect(await links.countLimitedClick(link.id)).toBe('counted');
    });
  });
}
