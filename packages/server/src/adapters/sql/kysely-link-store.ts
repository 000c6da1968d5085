import { AppError, type RedirectType } from '@switchboard/shared';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { LinksTable } from '../../db/tables/links.js';
import type {
  ClickVerdict,
  LinkChanges,
  LinkCursor,
  LinkRecord,
  LinkStore,
  NewLink,
} from '../../domains/links/link-store.js';
import { isUniqueViolation } from './sql-errors.js';
import { linkStorageError } from './kysely-link-errors.js';

function toRecord(row: Selectable<LinksTable>): LinkRecord {
  return {
    id: row.id,
    code: row.code,
    url: row.url,
    ownerId: row.owner_id,
    passwordHash: row.password_hash,
    redirectType: row.redirect_type as RedirectType,
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    maxClicks: row.max_clicks === null ? null : Number(row.max_clicks),
    clicks: Number(row.clicks),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Links in SQLite or PostgreSQL, through one Kysely code path. */
export class KyselyLinkStore implements LinkStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(link: NewLink): Promise<LinkRecord> {
    try {
      await this.db
        .insertInto('links')
        .values({
          id: link.id,
          code: link.code,
          url: link.url,
          owner_id: link.ownerId,
          password_hash: link.passwordHash,
          redirect_type: link.redirectType,
          expires_at: link.expiresAt,
          max_clicks: link.maxClicks,
          created_at: link.createdAt,
          updated_at: link.updatedAt,
        })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('ALIAS_TAKEN', `Another link already uses "${link.code}".`, {
          cause: error,
        });
      }
      throw linkStorageError(error);
    }
    return { ...link, clicks: 0 };
  }

  async findByCode(code: string): Promise<LinkRecord | null> {
    try {
      const row = await this.db
        .selectFrom('links')
        .selectAll()
        .where('code', '=', code)
        .executeTakeFirst();
      return row === undefined ? null : toRecord(row);
    } catch (error) {
      throw linkStorageError(error);
    }
  }

  async listByOwner(
    ownerId: string,
    limit: number,
    after: LinkCursor | null,
  ): Promise<LinkRecord[]> {
    try {
      let query = this.db.selectFrom('links').selectAll().where('owner_id', '=', ownerId);
      if (after !== null) {
        query = query.where((eb) =>
          eb.or([
            eb('created_at', '<', after.createdAt),
            eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)]),
          ]),
        );
      }
      const rows = await query
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toRecord);
    } catch (error) {
      throw linkStorageError(error);
    }
  }

  async update(id: string, changes: LinkChanges): Promise<LinkRecord | null> {
    try {
      const row = await this.db
        .updateTable('links')
        .set({
          updated_at: changes.updatedAt,
          ...(changes.url === undefined ? {} : { url: changes.url }),
          ...(changes.passwordHash === undefined ? {} : { password_hash: changes.passwordHash }),
          ...(changes.redirectType === undefined ? {} : { redirect_type: changes.redirectType }),
          ...(changes.expiresAt === undefined ? {} : { expires_at: changes.expiresAt }),
          ...(changes.maxClicks === undefined ? {} : { max_clicks: changes.maxClicks }),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row === undefined ? null : toRecord(row);
    } catch (error) {
      throw linkStorageError(error);
    }
  }

  async delete(id: string): Promise<boolean> {
    try {
      // The aggregates go with the link (ON DELETE CASCADE).
      const result = await this.db.deleteFrom('links').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    } catch (error) {
      throw linkStorageError(error);
    }
  }

  async countLimitedClick(id: string): Promise<ClickVerdict> {
    try {
      // One statement, so the check and the increment cannot be split by another writer.
      const result = await this.db
        .updateTable('links')
        .set((eb) => ({ clicks: eb('clicks', '+', 1) }))
        .where('id', '=', id)
        .where('max_clicks', 'is not', null)
        .whereRef('clicks', '<', 'max_clicks')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) return 'counted';
      const row = await this.db
        .selectFrom('links')
        .select('max_clicks')
        .where('id', '=', id)
        .executeTakeFirst();
      if (row === undefined) return 'missing';
      return row.max_clicks === null ? 'unlimited' : 'exhausted';
    } catch (error) {
      throw linkStorageError(error);
    }
  }
}
