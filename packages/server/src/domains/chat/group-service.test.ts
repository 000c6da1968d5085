import { AppError } from '@switchboard/shared';
import { describe, expect, it } from 'vitest';
import { BlockService } from './block-service.js';
import { GroupService, groupName } from './group-service.js';
import type { GroupEventJob } from './fanout-queue.js';
import { MemoryChatBus } from '../../adapters/memory/memory-chat-bus.js';
import { MemoryBlocks, MemoryGroups, accountsOf, fixedClock } from './test-support/fakes.js';
import { UserDirectory } from './user-directory.js';

function world(maxGroupSize = 5) {
  const groups = new MemoryGroups();
  const users = new UserDirectory(
    accountsOf({ alice: ['a'], bob: ['b'], carol: ['c'], dave: ['d'], erin: ['e'], frank: ['f'] }),
  );
  const clock = fixedClock(100);
  const blocks = new BlockService(new MemoryBlocks(), users, clock, new MemoryChatBus());
  const events: GroupEventJob[] = groups.jobs;
  const service = new GroupService({ groups, blocks, users, clock, maxGroupSize });
  return { groups, blocks, events, service };
}

async function codeOf(promise: Promise<unknown>) {
  try {
    await promise;
    return 'none';
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

describe(groupName.name, () => {
  it('trims and keeps names of 1 to 100 characters', () => {
    expect(groupName('  Team  ')).toBe('Team');
    expect(groupName('🎉'.repeat(100))).toBe('🎉'.repeat(100));
  });

  it('refuses empty, too long, and control or bidi-override characters', () => {
    for (const bad of ['', '   ', 'x'.repeat(101), 'a\nb', 'a\u0007', 'abc\u202Efed', 'x\u2066y']) {
      expect(() => groupName(bad), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'INVALID_GROUP_NAME' }),
      );
    }
  });
});

describe(GroupService.name, () => {
  it('creates a group with its creator as admin and tells the members', async () => {
    const { service, events } = world();
    const group = await service.create('alice', { name: 'Team', members: ['bob', 'bob', 'alice'] });
    expect(group.members).toEqual([
      { userId: 'alice', role: 'admin' },
      { userId: 'bob', role: 'member' },
    ]);
    expect(events).toEqual([
      expect.objectContaining({
        groupId: group.groupId,
        event: 'created',
        by: 'alice',
        name: 'Team',
        alsoTo: [],
      }),
    ]);
  });

  it('counts the creator in the size limit', async () => {
    const { service } = world(3);
    expect(
      await codeOf(service.create('alice', { name: 'x', members: ['bob', 'carol', 'dave'] })),
    ).toBe('GROUP_FULL');
    expect(await codeOf(service.create('alice', { name: 'x', members: ['bob', 'carol'] }))).toBe(
      'none',
    );
  });

  it('refuses users who do not exist or who blocked the creator, alike', async () => {
    const { service, blocks } = world();
    await blocks.block('carol', 'alice');
    try {
      await service.create('alice', { name: 'x', members: ['bob', 'carol', 'ghost'] });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: 'RECIPIENT_UNAVAILABLE',
        details: { userIds: ['ghost', 'carol'] },
      });
    }
  });

  it('lets only admins rename, add and change roles; outsiders see no group', async () => {
    const { service } = world();
    const { groupId } = await service.create('alice', { name: 'x', members: ['bob'] });
    expect(await codeOf(service.rename('bob', groupId, 'y'))).toBe('NOT_GROUP_ADMIN');
    expect(await codeOf(service.addMember('bob', groupId, 'carol'))).toBe('NOT_GROUP_ADMIN');
    expect(await codeOf(service.setRole('bob', groupId, 'bob', 'admin'))).toBe('NOT_GROUP_ADMIN');
    expect(await codeOf(service.rename('carol', groupId, 'y'))).toBe('GROUP_NOT_FOUND');
    expect(await codeOf(service.get('carol', groupId))).toBe('GROUP_NOT_FOUND');
    expect(await codeOf(service.removeMember('carol', groupId, 'bob'))).toBe('GROUP_NOT_FOUND');
  });

  it('lets any member leave, and promotes the longest-standing member after the last admin', async () => {
    const { service, events } = world();
    const { groupId } = await service.create('alice', { name: 'x', members: ['bob', 'carol'] });
    await service.removeMember('bob', groupId, 'bob');
    await service.removeMember('alice', groupId, 'alice');
    expect(events.slice(1).map((e) => [e.event, e.by, e.userId, e.role, e.alsoTo])).toEqual([
      ['member-left', 'bob', 'bob', undefined, ['bob']],
      ['member-left', 'alice', 'alice', undefined, ['alice']],
      ['role-changed', 'alice', 'carol', 'admin', []],
    ]);
    expect((await service.get('carol', groupId)).members).toEqual([
      { userId: 'carol', role: 'admin' },
    ]);
  });

  it('removes members (admins), telling the removed one too', async () => {
    const { service, events } = world();
    const { groupId } = await service.create('alice', { name: 'x', members: ['bob', 'carol'] });
    expect(await codeOf(service.removeMember('bob', groupId, 'carol'))).toBe('NOT_GROUP_ADMIN');
    await service.removeMember('alice', groupId, 'carol');
    expect(events.at(-1)).toMatchObject({
      event: 'member-removed',
      userId: 'carol',
      alsoTo: ['carol'],
    });
    expect(await codeOf(service.removeMember('alice', groupId, 'carol'))).toBe('MEMBER_NOT_FOUND');
  });

  it('keeps the last admin', async () => {
    const { service } = world();
    const { groupId } = await service.create('alice', { name: 'x', members: ['bob'] });
    expect(await codeOf(service.setRole('alice', groupId, 'alice', 'member'))).toBe('LAST_ADMIN');
    expect(await codeOf(service.setRole('alice', groupId, 'carol', 'admin'))).toBe(
      'MEMBER_NOT_FOUND',
    );
  });
});
