import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GroupEventJob } from './fanout-queue.js';
import type { GroupStore, RemoveMemberEvents } from './group-store.js';

/** A store for one test, what its job writer holds, and how to throw it away. */
export interface GroupStoreFixture {
  readonly store: GroupStore;
  /** The event jobs the store has durably written so far (committed), in order. */
  jobs(): Promise<GroupEventJob[]>;
  /** Makes the job writer's next write fail (a failing queue or connection). */
  failNextWrite(): void;
  dispose(): Promise<void>;
}

const T = 1_750_000_000_000;

let nextEvent = 0;
/** An event job as the domain builds it. */
function ev(
  groupId: string,
  event: GroupEventJob['event'],
  extra: Partial<Omit<GroupEventJob, 'kind' | 'id' | 'groupId' | 'event'>> = {},
): GroupEventJob {
  return {
    kind: 'event',
    id: `e:${++nextEvent}`,
    groupId,
    event,
    by: 'alice',
    ts: T,
    alsoTo: [],
    ...extra,
  };
}
/** The events of a member's removal, the promotion's included. */
function removal(groupId: string, userId: string): RemoveMemberEvents {
  return {
    removed: ev(groupId, 'member-left', { userId, alsoTo: [userId] }),
    promoted: (heir) => ev(groupId, 'role-changed', { userId: heir, role: 'admin' }),
  };
}
const added = (groupId: string, userId: string) => ev(groupId, 'member-added', { userId });
const role = (groupId: string, userId: string) => ev(groupId, 'role-changed', { userId });

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
      store.create(
        { groupId, name: `Group ${groupId}`, createdBy, createdAt: T },
        members,
        ev(groupId, 'created', { by: createdBy }),
      );

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
      expect(await store.rename('g1', 'New name', T + 1, ev('g1', 'renamed'))).toBe(true);
      expect((await store.get('g1'))!.name).toBe('New name');
      expect(await store.rename('nope', 'x', T, ev('nope', 'renamed'))).toBe(false);
    });

    it('adds members up to the size limit', async () => {
      await make('g1', ['bob']);
      expect(await store.addMember('g1', 'carol', T + 1, 3, added('g1', 'carol'))).toBe('added');
      expect(await store.addMember('g1', 'carol', T + 1, 3, added('g1', 'carol'))).toBe(
        'already-member',
      );
      expect(await store.addMember('g1', 'dave', T + 2, 3, added('g1', 'dave'))).toBe('full');
      expect(await store.addMember('nope', 'dave', T + 2, 3, added('nope', 'dave'))).toBe(
        'no-group',
      );
      expect(await store.memberIds('g1')).toEqual(['alice', 'bob', 'carol']);
    });

    it('never exceeds the size limit under concurrent adds', async () => {
      await make('g1', []);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.addMember('g1', `u${i}`, T, 5, added('g1', `u${i}`)),
        ),
      );
      expect(outcomes.filter((o) => o === 'added')).toHaveLength(4);
      expect(outcomes.filter((o) => o === 'full')).toHaveLength(4);
      expect(await store.memberIds('g1')).toHaveLength(5);
    });

    it('promotes the longest-standing member when the last admin leaves', async () => {
      await make('g1', ['bob', 'carol']);
      await store.addMember('g1', 'dave', T + 5, 10, added('g1', 'dave'));
      expect(await store.removeMember('g1', 'alice', T + 6, removal('g1', 'alice'))).toEqual({
        removed: true,
        promoted: 'bob',
        deleted: false,
      });
      expect(await store.roleOf('g1', 'bob')).toBe('admin');
      expect(await store.removeMember('g1', 'carol', T + 7, removal('g1', 'carol'))).toEqual({
        removed: true,
        promoted: null,
        deleted: false,
      });
      expect(await store.removeMember('g1', 'carol', T + 7, removal('g1', 'carol'))).toEqual({
        removed: false,
        promoted: null,
        deleted: false,
      });
    });

    it('deletes the group when its last member leaves', async () => {
      await make('g1', ['bob']);
      await store.removeMember('g1', 'alice', T, removal('g1', 'alice'));
      expect(await store.removeMember('g1', 'bob', T, removal('g1', 'bob'))).toEqual({
        removed: true,
        promoted: null,
        deleted: true,
      });
      expect(await store.get('g1')).toBeNull();
      expect(await store.listForUser('bob', 10)).toEqual([]);
    });

    it('changes roles but never demotes the last admin', async () => {
      await make('g1', ['bob']);
      expect(await store.setRole('g1', 'alice', 'member', T, role('g1', 'alice'))).toBe(
        'last-admin',
      );
      expect(await store.setRole('g1', 'bob', 'admin', T, role('g1', 'bob'))).toBe('changed');
      expect(await store.setRole('g1', 'bob', 'admin', T, role('g1', 'bob'))).toBe('unchanged');
      expect(await store.setRole('g1', 'alice', 'member', T, role('g1', 'alice'))).toBe('changed');
      expect(await store.setRole('g1', 'carol', 'admin', T, role('g1', 'carol'))).toBe(
        'not-member',
      );
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

    it('writes the event job of each change with the change', async () => {
      const ids = async () => (await fixture.jobs()).map((j) => j.id);
      const created = ev('g1', 'created', { name: 'Group g1' });
      await store.create(
        { groupId: 'g1', name: 'Group g1', createdBy: 'alice', createdAt: T },
        ['bob'],
        created,
      );
      expect(await fixture.jobs()).toEqual([created]);
      const renamed = ev('g1', 'renamed', { name: 'New' });
      await store.rename('g1', 'New', T + 1, renamed);
      const carol = added('g1', 'carol');
      await store.addMember('g1', 'carol', T + 2, 10, carol);
      const promoted = role('g1', 'bob');
      await store.setRole('g1', 'bob', 'admin', T + 3, promoted);
      expect(await ids()).toEqual([created.id, renamed.id, carol.id, promoted.id]);
      // The last admin leaves: the removal and the automatic promotion, in that order.
      await store.setRole('g1', 'alice', 'admin', T + 4, role('g1', 'alice'));
      await store.setRole('g1', 'bob', 'member', T + 5, role('g1', 'bob'));
      const before = (await fixture.jobs()).length;
      const events = removal('g1', 'alice');
      await store.removeMember('g1', 'alice', T + 6, events);
      const written = (await fixture.jobs()).slice(before);
      expect(written).toEqual([
        events.removed,
        expect.objectContaining({ event: 'role-changed', userId: 'bob', role: 'admin' }),
      ]);
      // The last member leaving deletes the group, and still tells them.
      await store.removeMember('g1', 'carol', T + 7, removal('g1', 'carol'));
      const last = removal('g1', 'bob');
      await store.removeMember('g1', 'bob', T + 8, last);
      expect((await fixture.jobs()).at(-1)).toEqual(last.removed);
      expect(await store.exists('g1')).toBe(false);
    });

    it('writes no job for a change that was refused or changed nothing', async () => {
      await make('g1', ['bob']);
      const count = (await fixture.jobs()).length;
      expect(await store.rename('nope', 'x', T, ev('nope', 'renamed'))).toBe(false);
      expect(await store.addMember('nope', 'carol', T, 10, added('nope', 'carol'))).toBe(
        'no-group',
      );
      expect(await store.addMember('g1', 'bob', T, 10, added('g1', 'bob'))).toBe('already-member');
      expect(await store.addMember('g1', 'carol', T, 2, added('g1', 'carol'))).toBe('full');
      expect(await store.removeMember('g1', 'dave', T, removal('g1', 'dave'))).toMatchObject({
        removed: false,
      });
      expect(await store.removeMember('nope', 'bob', T, removal('nope', 'bob'))).toMatchObject({
        removed: false,
      });
      expect(await store.setRole('g1', 'alice', 'member', T, role('g1', 'alice'))).toBe(
        'last-admin',
      );
      expect(await store.setRole('g1', 'alice', 'admin', T, role('g1', 'alice'))).toBe('unchanged');
      expect(await store.setRole('g1', 'dave', 'admin', T, role('g1', 'dave'))).toBe('not-member');
      expect(await store.setRole('nope', 'bob', 'admin', T, role('nope', 'bob'))).toBe(
        'not-member',
      );
      expect(await fixture.jobs()).toHaveLength(count);
    });

    it('rolls a change back when its event job cannot be written', async () => {
      const failing = async (change: () => Promise<unknown>) => {
        fixture.failNextWrite();
        await expect(change()).rejects.toThrow();
      };
      await failing(() => make('g0', ['bob']));
      expect(await store.exists('g0')).toBe(false);
      expect(await store.listForUser('bob', 10)).toEqual([]);
      expect(await fixture.jobs()).toEqual([]);

      await make('g1', ['bob']);
      const before = await store.get('g1');
      const jobs = await fixture.jobs();
      await failing(() => store.rename('g1', 'Other', T + 1, ev('g1', 'renamed')));
      await failing(() => store.addMember('g1', 'carol', T + 1, 10, added('g1', 'carol')));
      await failing(() => store.setRole('g1', 'bob', 'admin', T + 1, role('g1', 'bob')));
      // The last admin leaving: neither the removal nor the promotion is kept.
      await failing(() => store.removeMember('g1', 'alice', T + 1, removal('g1', 'alice')));
      expect(await store.get('g1')).toEqual(before);
      expect(await fixture.jobs()).toEqual(jobs);
      // And the store works on after a failure.
      expect(await store.addMember('g1', 'carol', T + 2, 10, added('g1', 'carol'))).toBe('added');
      expect(await fixture.jobs()).toHaveLength(jobs.length + 1);
    });
  });
}
