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
import { prepareQuery, type PreparedDatabase, type PreparedQuery } from './prepared-query.js';

const INSERT_COLUMNS = [
  'id',
  'code',
  'url',
  'owner_id',
  'password_hash',
  'redirect_type',
  'expires_at',
  'max_clicks',
  'created_at',
  'updated_at',
] as const;

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

/** Most links written by one statement: 100 rows of 10 parameters. */
const INSERT_BATCH = 100;

interface PendingInsert {
  readonly link: NewLink;
  readonly resolve: (record: LinkRecord) => void;
  readonly reject: (error: unknown) => void;
}

/** Links in SQLite or PostgreSQL, through one Kysely code path. */
export class KyselyLinkStore implements LinkStore {
  // The queries of link creation and of the redirect path, compiled once (per batch size).
  readonly #inserts = new Map<number, PreparedQuery<string, { id: string }>>();
  readonly #findByCode: PreparedQuery<'code', Selectable<LinksTable>>;
  readonly #countLimited: PreparedQuery<'id', unknown>;
  /** Set on SQLite only, where a read does not wait (see `LinkStore.findByCodeNow`). */
  readonly findByCodeNow?: (code: string) => LinkRecord | null;
  #queue: PendingInsert[] = [];
  #scheduled = false;

  private readonly db: Kysely<Database>;

  constructor(private readonly database: PreparedDatabase) {
    const { db } = database;
    this.db = db;
    this.#findByCode = prepareQuery(database, ['code'], (param) =>
      db.selectFrom('links').selectAll().where('code', '=', param('code')),
    );
    this.#countLimited = prepareQuery(database, ['id'], (param) =>
      db
        .updateTable('links')
        .set((eb) => ({ clicks: eb('clicks', '+', 1) }))
        .where('id', '=', param('id'))
        .where('max_clicks', 'is not', null)
        .whereRef('clicks', '<', 'max_clicks'),
    );
    if (database.sqlite !== null) {
      const findByCode = this.#findByCode;
      this.findByCodeNow = (code) => {
        let row: Selectable<LinksTable> | undefined;
        try {
          row = findByCode.first(code);
        } catch (error) {
          throw linkStorageError(error);
        }
        return row === undefined ? null : toRecord(row);
      };
    }
  }

  /**
   * Inserts are grouped: the links asked for in one turn of the event loop are written
   * by one statement (a group commit), which costs little more than one row. A code
   * already taken (by an earlier link or by another of the same batch) is skipped by
   * `ON CONFLICT DO NOTHING` and answered `ALIAS_TAKEN`; the others are written.
   */
  insert(link: NewLink): Promise<LinkRecord> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ link, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#writeQueued());
      }
    });
  }

  async #writeQueued(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#queue.splice(0, INSERT_BATCH);
    if (this.#queue.length > 0) {
      this.#scheduled = true;
      setImmediate(() => void this.#writeQueued());
    }
    try {
      const params: unknown[] = [];
      for (const { link } of batch) {
        params.push(
          link.id,
          link.code,
          link.url,
          link.ownerId,
          link.passwordHash,
          link.redirectType,
          link.expiresAt,
          link.maxClicks,
          link.createdAt,
          link.updatedAt,
        );
      }
      const result = await this.#insertStatement(batch.length).ordered(params);
      const written = new Set(result.rows.map((row) => row.id));
      for (const { link, resolve, reject } of batch) {
        if (written.has(link.id)) resolve({ ...link, clicks: 0 });
        else reject(new AppError('ALIAS_TAKEN', `Another link already uses "${link.code}".`));
      }
    } catch (error) {
      const failure = isUniqueViolation(error)
        ? new AppError('ALIAS_TAKEN', 'Another link already uses this code.', { cause: error })
        : linkStorageError(error);
      for (const item of batch) item.reject(failure);
    }
  }

  #insertStatement(rows: number): PreparedQuery<string, { id: string }> {
    let statement = this.#inserts.get(rows);
    if (statement === undefined) {
      const names = Array.from({ length: rows }, (_, i) =>
        INSERT_COLUMNS.map((column) => `${i}:${column}`),
      ).flat();
      statement = prepareQuery(this.database, names, (param) =>
        this.db
          .insertInto('links')
          .values(
            Array.from(
              { length: rows },
              (_, i) =>
                Object.fromEntries(
                  INSERT_COLUMNS.map((column) => [column, param(`${i}:${column}`)]),
                ) as never,
            ),
          )
          .onConflict((oc) => oc.column('code').doNothing())
          .returning('id'),
      );
      this.#inserts.set(rows, statement);
    }
    return statement;
  }

  async findByCode(code: string): Promise<LinkRecord | null> {
    try {
      const row = (await this.#findByCode({ code })).rows[0];
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
      const result = await this.#countLimited({ id });
      if (Number(result.numAffectedRows) === 1) return 'counted';
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
