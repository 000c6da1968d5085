import type { GroupRole } from '@switchboard/shared';
import type { GroupEventJob } from './fanout-queue.js';

/** A group as stored, with its members in the order they joined. */
export interface GroupRecord {
  readonly groupId: string;
  readonly name: string;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly members: ReadonlyArray<{ readonly userId: string; readonly role: GroupRole }>;
}

/** One of a user's groups, for their list. */
export interface GroupListEntry {
  readonly groupId: string;
  readonly name: string;
  readonly createdAt: number;
  readonly memberCount: number;
  readonly role: GroupRole;
}

/** What adding a member did. */
export type AddMemberOutcome = 'added' | 'already-member' | 'full' | 'no-group';

/** What removing a member did, and what followed from it. */
export interface RemoveMemberOutcome {
  readonly removed: boolean;
  /** The member promoted to admin because the last admin left, if any. */
  readonly promoted: string | null;
  /** True when the last member left and the group was deleted. */
  readonly deleted: boolean;
}

/** What changing a role did. */
export type SetRoleOutcome = 'changed' | 'unchanged' | 'not-member' | 'last-admin';

/**
 * The event jobs of a member's removal: the removal's own, and the `role-changed` of
 * the member promoted when the last admin left (known only inside the change).
 */
export interface RemoveMemberEvents {
  readonly removed: GroupEventJob;
  readonly promoted: (heirUserId: string) => GroupEventJob;
}

/**
 * Groups and their members. Each change that has an invariant (the size limit, at least
 * one admin) is checked and applied in one transaction that locks the group, so that
 * concurrent changes on any node cannot break it.
 *
 * Each change takes the fan-out job(s) that tell the members (built by the domain) and
 * stores them in the change's own transaction: a change is never kept without its
 * event, nor an event written for a change that was refused or rolled back. The
 * promise resolves once both have committed.
 */
export interface GroupStore {
  /** Creates a group; the creator is its first member and an admin. */
  create(
    group: { groupId: string; name: string; createdBy: string; createdAt: number },
    memberIds: readonly string[],
    event: GroupEventJob,
  ): Promise<GroupRecord>;
  get(groupId: string): Promise<GroupRecord | null>;
  /** The role of a user in a group, or null for a non-member (or no such group). */
  roleOf(groupId: string, userId: string): Promise<GroupRole | null>;
  exists(groupId: string): Promise<boolean>;
  /** Member user ids, in the order they joined. */
  memberIds(groupId: string): Promise<string[]>;
  /** The groups of a user, by group id, after `afterGroupId`. */
  listForUser(userId: string, limit: number, afterGroupId?: string): Promise<GroupListEntry[]>;
  /** Renames a group; false when there is no such group. */
  rename(groupId: string, name: string, at: number, event: GroupEventJob): Promise<boolean>;
  /** Adds a member unless the group already has `maxSize` members. */
  addMember(
    groupId: string,
    userId: string,
    at: number,
    maxSize: number,
    event: GroupEventJob,
  ): Promise<AddMemberOutcome>;
  /**
   * Removes a member. When the last admin goes, the longest-standing remaining member
   * becomes admin; when the last member goes, the group is deleted.
   */
  removeMember(
    groupId: string,
    userId: string,
    at: number,
    events: RemoveMemberEvents,
  ): Promise<RemoveMemberOutcome>;
  /** Changes a member's role (the event is written only when it `changed`); the last admin cannot be demoted. */
  setRole(
    groupId: string,
    userId: string,
    role: GroupRole,
    at: number,
    event: GroupEventJob,
  ): Promise<SetRoleOutcome>;
  /** Every user who shares at least one group with this one (not themself). */
  coMembersOf(userId: string): Promise<string[]>;
  /** True when the two users share at least one group. */
  shareGroup(userId: string, otherUserId: string): Promise<boolean>;
}
