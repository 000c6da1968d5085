import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { ContactStore } from '../../domains/chat/contact-store.js';

/** 1:1 contacts through Kysely, one code path for SQLite and PostgreSQL. */
export class KyselyContactStore implements ContactStore {
  constructor(private readonly db: Kysely<Database>) {}

  async record(userId: string, otherUserId: string, at: number): Promise<void> {
    if (userId === otherUserId) return;
    await this.db
      .insertInto('chat_contacts')
      .values([
        { user_id: userId, contact_user_id: otherUserId, created_at: at },
        { user_id: otherUserId, contact_user_id: userId, created_at: at },
      ])
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async contactsOf(userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('chat_contacts')
      .select('contact_user_id')
      .where('user_id', '=', userId)
      .execute();
    return rows.map((r) => r.contact_user_id);
  }

  async isContact(userId: string, otherUserId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('chat_contacts')
      .select('user_id')
      .where('user_id', '=', userId)
      .where('contact_user_id', '=', otherUserId)
      .executeTakeFirst();
    return row !== undefined;
  }
}
