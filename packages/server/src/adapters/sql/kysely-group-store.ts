import type { Kysely, Transaction } from 'kysely';
import type { GroupRole } from '@switchboard/shared';
import type { Database } from '../../db/schema.js';
import type { GroupEventJob } from '../../domains/chat/fanout-queue.js';
import type {
  AddMemberOutcome,
  GroupListEntry,
  GroupRecord,
  GroupStore,
  RemoveMemberEvents,
  RemoveMemberOutcome,
  SetRoleOutcome,
} from '../../domains/chat/group-store.js';
import type { FanoutJobWriter } from './fanout-job-writer.js';

const INSERT_CHUNK = 500;

function asRole(role: string): GroupRole {
  return role === 'admin' ? 'admin' : 'member';
}

/**
 * Groups and members through Kysely, one code path for SQLite and PostgreSQL. A
 * change's event jobs go to `jobs` in the change's transaction, and `jobs.committed`
 * hands them on once it has committed.
 */
export class KyselyGroupStore implements GroupStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly jobs: FanoutJobWriter,
  ) {}

  /**
   * Runs a change in a transaction; the jobs it returns are written last in that same
   * transaction (after the group's lock), and announced once it has committed.
   */
  private async change<T>(
    apply: (trx: Transaction<Database>) => Promise<{ result: T; jobs: readonly GroupEventJob[] }>,
  ): Promise<T> {
    const { result, jobs } = await this.db.transaction().execute(async (trx) => {
      const outcome = await apply(trx);
      await this.jobs.write(trx, outcome.jobs);
      return outcome;
    });
    if (jobs.length > 0) await this.jobs.committed(jobs);
    return result;
  }

  async create(
    group: { groupId: string; name: string; createdBy: string; createdAt: number },
    memberIds: readonly string[],
    event: GroupEventJob,
  ): Promise<GroupRecord> {
    const others = [...new Set(memberIds)].filter((id) => id !== group.createdBy);
    const members = [
      { userId: group.createdBy, role: 'admin' as const },
      ...others.map((userId) => ({ userId, role: 'member' as const })),
    ];
    await this.change(async (trx) => {
      await trx
        .insertInto('chat_groups')
        .values({
          group_id: group.groupId,
          name: group.name,
          created_by: group.createdBy,
          created_at: group.createdAt,
          updated_at: group.createdAt,
        })
        .execute();
      for (let i = 0; i < members.length; i += INSERT_CHUNK) {
        await trx
          .insertInto('chat_group_members')
          .values(
            members.slice(i, i + INSERT_CHUNK).map((m, j) => ({
              group_id: group.groupId,
              user_id: m.userId,
              role: m.role,
              joined_at: group.createdAt,
              position: i + j,
            })),
          )
          .execute();
      }
      return { result: undefined, jobs: [event] };
    });
    return { ...group, members };
  }

  async get(groupId: string): Promise<GroupRecord | null> {
    const row = await this.db
      .selectFrom('chat_groups')
      .selectAll()
      .where('group_id', '=', groupId)
      .executeTakeFirst();
    if (row === undefined) return null;
    const members = await this.db
      .selectFrom('chat_group_members')
      .select(['user_id', 'role'])
      .where('group_id', '=', groupId)
      .orderBy('position')
      .execute();
    return {
      groupId: row.group_id,
      name: row.name,
      createdBy: row.created_by,
      createdAt: row.created_at,
      members: members.map((m) => ({ userId: m.user_id, role: asRole(m.role) })),
    };
  }

  async roleOf(groupId: string, userId: string): Promise<GroupRole | null> {
    const row = await this.db
      .selectFrom('chat_group_members')
      .select('role')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row === undefined ? null : asRole(row.role);
  }

  async exists(groupId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('chat_groups')
      .select('group_id')
      .where('group_id', '=', groupId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async memberIds(groupId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('chat_group_members')
      .select('user_id')
      .where('group_id', '=', groupId)
      .orderBy('position')
      .execute();
    return rows.map((r) => r.user_id);
  }

  async listForUser(
    userId: string,
    limit: number,
    afterGroupId?: string,
  ): Promise<GroupListEntry[]> {
    let query = this.db
      .selectFrom('chat_group_members as m')
      .innerJoin('chat_groups as g', 'g.group_id', 'm.group_id')
      .select((eb) => [
        'g.group_id',
        'g.name',
        'g.created_at',
        'm.role',
        eb
          .selectFrom('chat_group_members as c')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('c.group_id', '=', 'g.group_id')
          .as('member_count'),
      ])
      .where('m.user_id', '=', userId)
      .orderBy('g.group_id')
      .limit(limit);
    if (afterGroupId !== undefined) query = query.where('g.group_id', '>', afterGroupId);
    const rows = await query.execute();
    return rows.map((r) => ({
      groupId: r.group_id,
      name: r.name,
      createdAt: r.created_at,
      memberCount: Number(r.member_count ?? 0),
      role: asRole(r.role),
    }));
  }

  async rename(groupId: string, name: string, at: number, event: GroupEventJob): Promise<boolean> {
    return this.change(async (trx) => {
      const updated = await trx
        .updateTable('chat_groups')
        .set({ name, updated_at: at })
        .where('group_id', '=', groupId)
        .executeTakeFirst();
      const renamed = updated.numUpdatedRows > 0n;
      return { result: renamed, jobs: renamed ? [event] : [] };
    });
  }

  async addMember(
    groupId: string,
    userId: string,
    at: number,
    maxSize: number,
    event: GroupEventJob,
  ): Promise<AddMemberOutcome> {
    return this.change(async (trx) => {
      const outcome = await addIn(trx, groupId, userId, at, maxSize);
      return { result: outcome, jobs: outcome === 'added' ? [event] : [] };
    });
  }

  async removeMember(
    groupId: string,
    userId: string,
    at: number,
    events: RemoveMemberEvents,
  ): Promise<RemoveMemberOutcome> {
    return this.change(async (trx) => {
      const outcome = await removeIn(trx, groupId, userId, at);
      const jobs = !outcome.removed
        ? []
        : outcome.promoted === null
          ? [events.removed]
          : [events.removed, events.promoted(outcome.promoted)];
      return { result: outcome, jobs };
    });
  }

  async setRole(
    groupId: string,
    userId: string,
    role: GroupRole,
    at: number,
    event: GroupEventJob,
  ): Promise<SetRoleOutcome> {
    return this.change(async (trx) => {
      const outcome = await setRoleIn(trx, groupId, userId, role, at);
      return { result: outcome, jobs: outcome === 'changed' ? [event] : [] };
    });
  }

  async coMembersOf(userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('chat_group_members as mine')
      .innerJoin('chat_group_members as other', 'other.group_id', 'mine.group_id')
      .select('other.user_id')
      .distinct()
      .where('mine.user_id', '=', userId)
      .where('other.user_id', '<>', userId)
      .execute();
    return rows.map((r) => r.user_id);
  }

  async shareGroup(userId: string, otherUserId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('chat_group_members as mine')
      .innerJoin('chat_group_members as other', 'other.group_id', 'mine.group_id')
      .select('mine.group_id')
      .where('mine.user_id', '=', userId)
      .where('other.user_id', '=', otherUserId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}

/**
 * Touches the group row, which on PostgreSQL locks it until the transaction ends, so
 * that membership changes of one group are applied one at a time (SQLite has a single
 * writer anyway). False when there is no such group.
 */
async function lockGroup(trx: Transaction<Database>, groupId: string, at: number) {
  const result = await trx
    .updateTable('chat_groups')
    .set({ updated_at: at })
    .where('group_id', '=', groupId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Adds a member in `trx`, under the group's lock. */
async function addIn(
  trx: Transaction<Database>,
  groupId: string,
  userId: string,
  at: number,
  maxSize: number,
): Promise<AddMemberOutcome> {
  if (!(await lockGroup(trx, groupId, at))) return 'no-group';
  const existing = await trx
    .selectFrom('chat_group_members')
    .select('role')
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (existing !== undefined) return 'already-member';
  const { n, last } = await trx
    .selectFrom('chat_group_members')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('position').as('last')])
    .where('group_id', '=', groupId)
    .executeTakeFirstOrThrow();
  if (Number(n) >= maxSize) return 'full';
  await trx
    .insertInto('chat_group_members')
    .values({
      group_id: groupId,
      user_id: userId,
      role: 'member',
      joined_at: at,
      position: Number(last ?? -1) + 1,
    })
    .execute();
  return 'added';
}

/** Removes a member in `trx`, under the group's lock, promoting or deleting as needed. */
async function removeIn(
  trx: Transaction<Database>,
  groupId: string,
  userId: string,
  at: number,
): Promise<RemoveMemberOutcome> {
  const none = { removed: false, promoted: null, deleted: false };
  if (!(await lockGroup(trx, groupId, at))) return none;
  const removed = await trx
    .deleteFrom('chat_group_members')
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .returning('role')
    .executeTakeFirst();
  if (removed === undefined) return none;
  const remaining = await trx
    .selectFrom('chat_group_members')
    .select(['user_id', 'role'])
    .where('group_id', '=', groupId)
    .orderBy('position')
    .execute();
  if (remaining.length === 0) {
    await trx.deleteFrom('chat_groups').where('group_id', '=', groupId).execute();
    return { removed: true, promoted: null, deleted: true };
  }
  if (remaining.some((m) => m.role === 'admin')) {
    return { removed: true, promoted: null, deleted: false };
  }
  const heir = remaining[0]!.user_id;
  await trx
    .updateTable('chat_group_members')
    .set({ role: 'admin' })
    .where('group_id', '=', groupId)
    .where('user_id', '=', heir)
    .execute();
  return { removed: true, promoted: heir, deleted: false };
}

/** Changes a role in `trx`, under the group's lock; the last admin stays. */
async function setRoleIn(
  trx: Transaction<Database>,
  groupId: string,
  userId: string,
  role: GroupRole,
  at: number,
): Promise<SetRoleOutcome> {
  if (!(await lockGroup(trx, groupId, at))) return 'not-member';
  const current = await trx
    .selectFrom('chat_group_members')
    .select('role')
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (current === undefined) return 'not-member';
  if (current.role === role) return 'unchanged';
  if (role === 'member') {
    const { n } = await trx
      .selectFrom('chat_group_members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('group_id', '=', groupId)
      .where('role', '=', 'admin')
      .executeTakeFirstOrThrow();
    if (Number(n) <= 1) return 'last-admin';
  }
  await trx
    .updateTable('chat_group_members')
    .set({ role })
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .execute();
  return 'changed';
}
