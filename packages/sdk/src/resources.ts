import type {
  BlockedUser,
  Group,
  GroupRole,
  GroupSummary,
  Me,
  PublicUser,
  UpdateMeRequest,
  UserPresence,
} from '@switchboard/shared';
import type { HttpApi } from './http-api.js';

/**
 * Group calls (`client.groups`). A group's messages come through the socket; group
 * changes arrive as `group` events too.
 */
export class GroupsApi {
  constructor(
    private readonly api: HttpApi,
    private readonly me: () => string,
  ) {}

  /**
   * Creates a group with me as admin and `members` (user ids) in it.
   *
   * @example
   * const group = await client.groups.create('Climbing', [bobId, carolId]);
   * await client.send({ group: group.groupId }, { text: 'Saturday?' });
   */
  create(name: string, members: readonly string[] = []): Promise<Group> {
    return this.api.createGroup(name, members);
  }

  /**
   * A group I am a member of.
   *
   * @example
   * const { members } = await client.groups.get(groupId);
   */
  get(groupId: string): Promise<Group> {
    return this.api.group(groupId);
  }

  /**
   * Every group I am a member of (id, name, member count, my role), all pages.
   *
   * @example
   * for (const g of await client.groups.list()) console.log(g.name, g.memberCount);
   */
  list(): Promise<GroupSummary[]> {
    return this.api.groups();
  }

  /**
   * Renames a group.
   *
   * @example
   * await client.groups.rename(groupId, 'Climbing club');
   */
  rename(groupId: string, name: string): Promise<Group> {
    return this.api.renameGroup(groupId, name);
  }

  /**
   * Adds a member (admins only).
   *
   * @example
   * await client.groups.addMember(groupId, daveId);
   */
  addMember(groupId: string, userId: string): Promise<Group> {
    return this.api.addMember(groupId, userId);
  }

  /**
   * Removes a member (admins only).
   *
   * @example
   * await client.groups.removeMember(groupId, daveId);
   */
  removeMember(groupId: string, userId: string): Promise<void> {
    return this.api.removeMember(groupId, userId);
  }

  /**
   * Makes a member an admin, or an admin a plain member.
   *
   * @example
   * await client.groups.setRole(groupId, bobId, 'admin');
   */
  setRole(groupId: string, userId: string, role: GroupRole): Promise<Group> {
    return this.api.setRole(groupId, userId, role);
  }

  /**
   * Leaves a group.
   *
   * @example
   * await client.groups.leave(groupId);
   */
  leave(groupId: string): Promise<void> {
    return this.api.removeMember(groupId, this.me());
  }
}

/** User calls (`client.users`): lookup, presence, blocks, my own profile. */
export class UsersApi {
  constructor(private readonly api: HttpApi) {}

  /**
   * Finds a user by username (throws `USER_NOT_FOUND`).
   *
   * @example
   * const bob = await client.users.byUsername('bob');
   */
  byUsername(username: string): Promise<PublicUser> {
    return this.api.userByUsername(username);
  }

  /**
   * Finds a user by id (throws `USER_NOT_FOUND`): names for the ids in messages.
   *
   * @example
   * const { username } = await client.users.byId(message.from.user);
   */
  byId(userId: string): Promise<PublicUser> {
    return this.api.userById(userId);
  }

  /**
   * A contact's presence now (404 for someone who is not a contact).
   *
   * @example
   * const { online, lastSeen } = await client.users.presence(bobId);
   */
  presence(userId: string): Promise<UserPresence> {
    return this.api.presence(userId);
  }

  /**
   * My own account.
   *
   * @example
   * const me = await client.users.me();
   */
  me(): Promise<Me> {
    return this.api.me();
  }

  /**
   * Changes my profile (display name, hiding last seen).
   *
   * @example
   * await client.users.updateMe({ hideLastSeen: true });
   */
  updateMe(input: UpdateMeRequest): Promise<Me> {
    return this.api.updateMe(input);
  }

  /**
   * Blocks a user: their messages, typing and presence stop reaching me.
   *
   * @example
   * await client.users.block(spammerId);
   */
  block(userId: string): Promise<void> {
    return this.api.block(userId);
  }

  /**
   * The users I blocked.
   *
   * @example
   * const blocked = await client.users.blocked();
   */
  blocked(): Promise<BlockedUser[]> {
    return this.api.blocked();
  }

  /**
   * Unblocks a user.
   *
   * @example
   * await client.users.unblock(userId);
   */
  unblock(userId: string): Promise<void> {
    return this.api.unblock(userId);
  }
}
