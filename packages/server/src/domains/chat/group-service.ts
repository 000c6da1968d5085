import {
  AppError,
  GROUP_NAME_MAX_LENGTH,
  type CreateGroupRequest,
  type GroupRole,
} from '@switchboard/shared';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { BlockService } from './block-service.js';
import type { GroupEventJob } from './fanout-queue.js';
import type { GroupListEntry, GroupRecord, GroupStore } from './group-store.js';
import type { UserDirectory } from './user-directory.js';

/** What group management is built on. */
export interface GroupServiceDeps {
  readonly groups: GroupStore;
  readonly blocks: BlockService;
  readonly users: UserDirectory;
  readonly clock: Clock;
  /** Most members a group may have, its creator included. */
  readonly maxGroupSize: number;
}

// Control characters (and the bidi overrides used to disguise text) have no place in a
// name that other people's screens show.
const FORBIDDEN_IN_NAMES = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/** A group name, trimmed, or `INVALID_GROUP_NAME`. */
export function groupName(raw: string): string {
  const name = raw.trim();
  const length = [...name].length;
  if (length < 1 || length > GROUP_NAME_MAX_LENGTH || FORBIDDEN_IN_NAMES.test(name)) {
    throw new AppError('INVALID_GROUP_NAME');
  }
  return name;
}

/**
 * Groups: creation, renaming, membership and roles. Only members see a group; only
 * admins change it; any member may leave. Every change reaches the members as a
 * `group` inbox item through the fan-out queue: the service builds the event job and
 * the store writes it in the change's own transaction, so that a change acknowledged
 * is never left untold (a crash, a queue that fails) and a refused one never told.
 */
export class GroupService {
  constructor(private readonly deps: GroupServiceDeps) {}

  /** Creates a group with its creator as admin and the given users as members. */
  async create(creatorId: string, request: CreateGroupRequest): Promise<GroupRecord> {
    const { groups, clock, maxGroupSize } = this.deps;
    const name = groupName(request.name);
    const memberIds = [...new Set(request.members)].filter((id) => id !== creatorId);
    if (memberIds.length + 1 > maxGroupSize) {
      throw new AppError('GROUP_FULL', `A group has at most ${maxGroupSize} members.`);
    }
    await this.requireReachable(creatorId, memberIds);
    const createdAt = clock.now();
    const groupId = newId(createdAt);
    return groups.create(
      { groupId, name, createdBy: creatorId, createdAt },
      memberIds,
      this.event(groupId, 'created', creatorId, { name }),
    );
  }

  /** A group, for one of its members. */
  async get(viewerId: string, groupId: string): Promise<GroupRecord> {
    const group = await this.deps.groups.get(groupId);
    if (group === null || !group.members.some((m) => m.userId === viewerId)) {
      throw new AppError('GROUP_NOT_FOUND');
    }
    return group;
  }

  /** A page of the user's groups. */
  list(userId: string, limit: number, afterGroupId?: string): Promise<GroupListEntry[]> {
    return this.deps.groups.listForUser(userId, limit, afterGroupId);
  }

  /** Renames a group (admins). */
  async rename(actorId: string, groupId: string, rawName: string): Promise<GroupRecord> {
    const name = groupName(rawName);
    await this.requireAdmin(actorId, groupId);
    const event = this.event(groupId, 'renamed', actorId, { name });
    if (!(await this.deps.groups.rename(groupId, name, this.deps.clock.now(), event))) {
      throw new AppError('GROUP_NOT_FOUND');
    }
    return this.get(actorId, groupId);
  }

  /** Adds a member (admins). */
  async addMember(actorId: string, groupId: string, userId: string): Promise<GroupRecord> {
    await this.requireAdmin(actorId, groupId);
    await this.requireReachable(actorId, [userId]);
    const outcome = await this.deps.groups.addMember(
      groupId,
      userId,
      this.deps.clock.now(),
      this.deps.maxGroupSize,
      this.event(groupId, 'member-added', actorId, { userId, role: 'member' }),
    );
    switch (outcome) {
      case 'added':
        return this.get(actorId, groupId);
      case 'already-member':
        throw new AppError('ALREADY_A_MEMBER');
      case 'full':
        throw new AppError('GROUP_FULL', `A group has at most ${this.deps.maxGroupSize} members.`);
      case 'no-group':
        throw new AppError('GROUP_NOT_FOUND');
    }
  }

  /**
   * Removes a member (admins), or leaves (anyone, for themself). When the last admin
   * leaves, the longest-standing member becomes admin, so that a group is never left
   * without someone who can manage it; the last member leaving deletes the group.
   */
  async removeMember(actorId: string, groupId: string, userId: string): Promise<void> {
    const role = await this.deps.groups.roleOf(groupId, actorId);
    if (role === null) throw new AppError('GROUP_NOT_FOUND');
    if (actorId !== userId && role !== 'admin') throw new AppError('NOT_GROUP_ADMIN');
    const leaving = actorId === userId;
    const outcome = await this.deps.groups.removeMember(groupId, userId, this.deps.clock.now(), {
      removed: this.event(groupId, leaving ? 'member-left' : 'member-removed', actorId, {
        userId,
        alsoTo: [userId],
      }),
      promoted: (heir) =>
        this.event(groupId, 'role-changed', actorId, { userId: heir, role: 'admin' }),
    });
    if (!outcome.removed) throw new AppError('MEMBER_NOT_FOUND');
  }

  /** Makes a member an admin or a plain member again (admins); the last admin stays. */
  async setRole(
    actorId: string,
    groupId: string,
    userId: string,
    role: GroupRole,
  ): Promise<GroupRecord> {
    await this.requireAdmin(actorId, groupId);
    const outcome = await this.deps.groups.setRole(
      groupId,
      userId,
      role,
      this.deps.clock.now(),
      this.event(groupId, 'role-changed', actorId, { userId, role }),
    );
    switch (outcome) {
      case 'changed':
      case 'unchanged':
        break;
      case 'not-member':
        throw new AppError('MEMBER_NOT_FOUND');
      case 'last-admin':
        throw new AppError('LAST_ADMIN');
    }
    return this.get(actorId, groupId);
  }

  private async requireAdmin(actorId: string, groupId: string): Promise<void> {
    const role = await this.deps.groups.roleOf(groupId, actorId);
    if (role === null) throw new AppError('GROUP_NOT_FOUND');
    if (role !== 'admin') throw new AppError('NOT_GROUP_ADMIN');
  }

  /** Refuses users who do not exist or who blocked the actor, alike. */
  private async requireReachable(actorId: string, userIds: readonly string[]): Promise<void> {
    const missing = new Set(await this.deps.users.missing(userIds));
    for (const id of userIds) {
      if (!missing.has(id) && (await this.deps.blocks.between(actorId, id)) === 'blocked-by') {
        missing.add(id);
      }
    }
    if (missing.size > 0) {
      throw new AppError('RECIPIENT_UNAVAILABLE', 'Some of these users cannot be added.', {
        details: { userIds: [...missing] },
      });
    }
  }

  /** The fan-out job of one membership event; the store writes it with the change. */
  private event(
    groupId: string,
    event: GroupEventJob['event'],
    by: string,
    extra: { userId?: string; name?: string; role?: GroupRole; alsoTo?: string[] },
  ): GroupEventJob {
    const ts = this.deps.clock.now();
    const { alsoTo = [], ...fields } = extra;
    return { kind: 'event', id: `e:${newId(ts)}`, groupId, event, by, ts, alsoTo, ...fields };
  }
}
