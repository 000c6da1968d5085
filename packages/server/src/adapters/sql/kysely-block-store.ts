import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { BlockEntry, BlockStore } from '../../domains/chat/block-store.js';

/** Blocks through Kysely, one code path for SQLite and PostgreSQL. */
export class KyselyBlockStore implements BlockStore {
  constructor(private readonly db: Kysely<Database>) {}

  async block(userId: string, blockedUserId: string, at: number): Promise<void> {
    await this.db
      .insertInto('chat_blocks')
      .values({ user_id: userId, blocked_user_id: blockedUserId, created_at: at })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async unblock(userId: string, blockedUserId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('chat_blocks')
      .where('user_id', '=', userId)
      .where('blocked_user_id', '=', blockedUserId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async list(userId: string, limit: number, afterUserId?: string): Promise<BlockEntry[]> {
    let query = this.db
      .selectFrom('chat_blocks')
      .select(['blocked_user_id', 'created_at'])
      .where('user_id', '=', userId)
      .orderBy('blocked_user_id')
      .limit(limit);
    if (afterUserId !== undefined) query = query.where('blocked_user_id', '>', afterUserId);
    const rows = await query.execute();
    return rows.map((r) => ({ userId: r.blocked_user_id, createdAt: r.created_at }));
  }

  async relations(userId: string): Promise<{ blocked: string[]; blockedBy: string[] }> {
    const [blocked, blockedBy] = await Promise.all([
      this.db
        .selectFrom('chat_blocks')
        .select('blocked_user_id as id')
        .where('user_id', '=', userId)
        .execute(),
      this.db
        .selectFrom('chat_blocks')
        .select('user_id as id')
        .where('blocked_user_id', '=', userId)
        .execute(),
    ]);
    return { blocked: blocked.map((r) => r.id), blockedBy: blockedBy.map((r) => r.id) };
  }
}
