import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GroupStore } from './group-store.js';

/** A store for one test, and how to throw it away. */
export interface GroupStoreFixture {
  readonly store: GroupStore;
  dispose(): Promise<void>;
}

const T = 1_750_000_000_000;

/** The behaviour every `GroupStore` adapter must have. */
export function runGroupStoreContract(create: () => Promise<GroupStoreFixture>): void {
  describe('GroupStore contract', () => {
    let fixture: GroupStoreFixture;
    let store: GroupStore;
    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
    });
    afterEach(() => fixture.dispose());

    const make = (groupId: string, members: string[], createdBy = 'alice') =>
      store.create({ groupId, name: `Group ${groupId}`, createdBy, createdAt: T }, members);

    it('creates a group whose creator is its first member and admin', async () => {
      const created = await make('g1', ['bob', 'carol', 'bob', 'alice']);
      expect(created.members).toEqual([
        { userId: 'alice', role: 'admin' },
        { userId: 'bob', role: 'member' },
        { userId: 'carol', role: 'member' },
      ]);
      expect(await store.get('g1')).toEqual(created);
      expect(await store.get('nope')).toBeNull();
      expect(await store.exists('g1')).toBe(true);
      expect(await store.exists('nope')).toBe(false);
      expect(await store.roleOf('g1', 'alice')).toBe('admin');
      expect(await store.roleOf('g1', 'bob')).toBe('member');
      expect(await store.roleOf('g1', 'dave')).toBeNull();
      expect(await store.memberIds('g1')).toEqual(['alice', 'bob', 'carol']);
    });

    it('lists the groups of a user in pages', async () => {
      await make('g1', ['bob']);
      await make('g2', ['carol']);
      await make('g3', ['bob', 'carol'], 'carol');
      const first = await store.listForUser('bob', 1);
      expect(first).toEqual([
        { groupId: 'g1', name: 'Group g1', createdAt: T, memberCount: 2, role: 'member' },
      ]);
      const rest = await store.listForUser('bob', 10, 'g1');
      expect(rest.map((g) => [g.groupId, g.memberCount, g.role])).toEqual([['g3', 2, 'member']]);
      expect((await store.listForUser('carol', 10)).map((g) => [g.groupId, g.role])).toEqual([
        ['g2', 'member'],
        ['g3', 'admin'],
      ]);
      expect(await store.listForUser('nobody', 10)).toEqual([]);
    });

    it('renames a group', async () => {
      await make('g1', []);
      expect(await store.rename('g1', 'New name', T + 1)).toBe(true);
      expect((await store.get('g1'))!.name).toBe('New name');
      expect(await store.rename('nope', 'x', T)).toBe(false);
    });

    it('adds members up to the size limit', async () => {
      await make('g1', ['bob']);
      expect(await store.addMember('g1', 'carol', T + 1, 3)).toBe('added');
      expect(await store.addMember('g1', 'carol', T + 1, 3)).toBe('already-member');
      expect(await store.addMember('g1', 'dave', T + 2, 3)).toBe('full');
      expect(await store.addMember('nope', 'dave', T + 2, 3)).toBe('no-group');
      expect(await store.memberIds('g1')).toEqual(['alice', 'bob', 'carol']);
    });

    it('never exceeds the size limit under concurrent adds', async () => {
      await make('g1', []);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.addMember('g1', `u${i}`, T, 5)),
      );
      expect(outcomes.filter((o) => o === 'added')).toHaveLength(4);
      expect(outcomes.filter((o) => o === 'full')).toHaveLength(4);
      expect(await store.memberIds('g1')).toHaveLength(5);
    });

    it('promotes the longest-standing member when the last admin leaves', async () => {
      await make('g1', ['bob', 'carol']);
      await store.addMember('g1', 'dave', T + 5, 10);
      expect(await store.removeMember('g1', 'alice', T + 6)).toEqual({
        removed: true,
        promoted: 'bob',
        deleted: false,
      });
      expect(await store.roleOf('g1', 'bob')).toBe('admin');
      expect(await store.removeMember('g1', 'carol', T + 7)).toEqual({
        removed: true,
        promoted: null,
        deleted: false,
      });
      expect(await store.removeMember('g1', 'carol', T + 7)).toEqual({
        removed: false,
        promoted: null,
        deleted: false,
      });
    });

    it('deletes the group when its last member leaves', async () => {
      await make('g1', ['bob']);
      await store.removeMember('g1', 'alice', T);
      expect(await store.removeMember('g1', 'bob', T)).toEqual({
        removed: true,
        promoted: null,
        deleted: true,
      });
      expect(await store.get('g1')).toBeNull();
      expect(await store.listForUser('bob', 10)).toEqual([]);
    });

    it('changes roles but never demotes the last admin', async () => {
      await make('g1', ['bob']);
      expect(await store.setRole('g1', 'alice', 'member', T)).toBe('last-admin');
      expect(await store.setRole('g1', 'bob', 'admin', T)).toBe('changed');
      expect(await store.setRole('g1', 'bob', 'admin', T)).toBe('unchanged');
      expect(await store.setRole('g1', 'alice', 'member', T)).toBe('changed');
      expect(await store.setRole('g1', 'carol', 'admin', T)).toBe('not-member');
      expect((await store.get('g1'))!.members).toEqual([
        { userId: 'alice', role: 'member' },
        { userId: 'bob', role: 'admin' },
      ]);
    });

    it('finds the users who share a group', async () => {
      await make('g1', ['bob', 'carol']);
      await make('g2', ['dave'], 'bob');
      expect((await store.coMembersOf('bob')).sort()).toEqual(['alice', 'carol', 'dave']);
      expect((await store.coMembersOf('dave')).sort()).toEqual(['bob']);
      expect(await store.coMembersOf('erin')).toEqual([]);
      expect(await store.shareGroup('alice', 'carol')).toBe(true);
      expect(await store.shareGroup('alice', 'dave')).toBe(false);
    });
  });
}
