import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type {
  ClickStore,
  KeyCount,
  LinkClicks,
  StoredClickStats,
} from '../../domains/links/click-store.js';
import { isForeignKeyViolation } from './sql-errors.js';
import { linkStorageError } from './kysely-link-errors.js';
import { prepareQuery, type LinkDatabase, type PreparedQuery } from './kysely-link-prepared.js';

/** Ids per `IN (...)` list and rows per multi-row insert: well under both engines' limits. */
const CHUNK = 400;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const clickSum = sql<number>`cast(sum(clicks) as bigint)`;

interface ClickRowValues {
  link_id: string;
  day: number;
  referrer: string;
  device: string;
  browser: string;
  bot: number;
  clicks: number;
}

/** One row per key: PostgreSQL refuses to update a row twice in one upsert. */
function mergedRows(batch: readonly LinkClicks[]): ClickRowValues[] {
  const rows = new Map<string, ClickRowValues>();
  for (const b of batch) {
    for (const r of b.rows) {
      const key = `${b.linkId}\u0001${r.day}\u0001${r.referrer}\u0001${r.device}\u0001${r.browser}\u0001${r.bot ? 1 : 0}`;
      const row = rows.get(key);
      if (row !== undefined) row.clicks += r.clicks;
      else
        rows.set(key, {
          link_id: b.linkId,
          day: r.day,
          referrer: r.referrer,
          device: r.device,
          browser: r.browser,
          bot: r.bot ? 1 : 0,
          clicks: r.clicks,
        });
    }
  }
  return [...rows.values()];
}

type RowColumn = keyof ClickRowValues;
const ROW_COLUMNS: readonly RowColumn[] = [
  'link_id',
  'day',
  'referrer',
  'device',
  'browser',
  'bot',
  'clicks',
];

/** Aggregated clicks in SQLite or PostgreSQL, through one Kysely code path. */
export class KyselyLinkClickStore implements ClickStore {
  private readonly db: Kysely<Database>;
  /** The one-row statements of the synchronous SQLite flush. */
  readonly #one: {
    addTotal: PreparedQuery<'id' | 'n', unknown>;
    addRow: PreparedQuery<RowColumn, unknown>;
  };

  constructor(private readonly database: LinkDatabase) {
    const { db } = database;
    this.db = db;
    this.#one = {
      addTotal: prepareQuery(database, ['id', 'n'], (param) =>
        db
          .updateTable('links')
          .set((eb) => ({ clicks: eb('clicks', '+', param('n')) }))
          .where('id', '=', param('id')),
      ),
      addRow: prepareQuery(database, ROW_COLUMNS, (param) =>
        db
          .insertInto('link_clicks')
          .values(Object.fromEntries(ROW_COLUMNS.map((c) => [c, param(c)])) as never)
          .onConflict((oc) =>
            oc
              .columns(['link_id', 'day', 'referrer', 'device', 'browser', 'bot'])
              .doUpdateSet((eb) => ({
                clicks: eb('link_clicks.clicks', '+', eb.ref('excluded.clicks')),
              })),
          ),
      ),
    };
  }

  async addClicks(batch: readonly LinkClicks[]): Promise<void> {
    if (batch.length === 0) return;
    const { sqlite } = this.database;
    if (sqlite !== null && !sqlite.inTransaction) {
      // On SQLite the whole flush is one synchronous transaction of prepared one-row
      // statements: nothing can interleave, and nothing is built or parsed per row.
      try {
        sqlite.transaction(() => this.#writeNow(batch))();
        return;
      } catch (error) {
        throw linkStorageError(error);
      }
    }
    // A link deleted between the existence check and the insert (PostgreSQL runs them
    // concurrently) fails the transaction on its foreign key: check again and retry.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.transaction().execute((trx) => this.#write(trx, batch));
        return;
      } catch (error) {
        if (attempt < 3 && isForeignKeyViolation(error)) continue;
        throw linkStorageError(error);
      }
    }
  }

  /**
   * Writes a batch inside a transaction the caller opened: the cluster's click-stream
   * writer records the batch id in the same one, so that a batch is counted once.
   */
  addClicksIn(trx: Transaction<Database>, batch: readonly LinkClicks[]): Promise<void> {
    return this.#write(trx, batch);
  }

  #writeNow(batch: readonly LinkClicks[]): void {
    const { addTotal, addRow } = this.#one;
    // A link deleted meanwhile: its total's update changes no row, and its rows' insert
    // fails on the foreign key alone (SQLite undoes the statement, not the transaction).
    for (const b of batch) if (b.uncounted > 0) addTotal.sync({ id: b.linkId, n: b.uncounted });
    for (const row of mergedRows(batch)) {
      try {
        addRow.sync(row);
      } catch (error) {
        if (!isForeignKeyViolation(error)) throw error;
      }
    }
  }

  async #write(trx: Transaction<Database>, batch: readonly LinkClicks[]): Promise<void> {
    const existing = new Set<string>();
    for (const ids of chunks([...new Set(batch.map((b) => b.linkId))], CHUNK)) {
      const rows = await trx.selectFrom('links').select('id').where('id', 'in', ids).execute();
      for (const row of rows) existing.add(row.id);
    }
    const live = batch.filter((b) => existing.has(b.linkId));

    const totals = new Map<string, number>();
    for (const b of live) {
      if (b.uncounted > 0) totals.set(b.linkId, (totals.get(b.linkId) ?? 0) + b.uncounted);
    }
    for (const part of chunks([...totals], CHUNK)) {
      const increment = sql<number>`case id ${sql.join(
        part.map(([id, n]) => sql`when ${id} then cast(${n} as bigint)`),
        sql` `,
      )} else 0 end`;
      await trx
        .updateTable('links')
        .set((eb) => ({ clicks: eb('clicks', '+', increment) }))
        .where(
          'id',
          'in',
          part.map(([id]) => id),
        )
        .execute();
    }

    for (const part of chunks(mergedRows(live), CHUNK)) {
      await trx
        .insertInto('link_clicks')
        .values(part)
        .onConflict((oc) =>
          oc
            .columns(['link_id', 'day', 'referrer', 'device', 'browser', 'bot'])
            .doUpdateSet((eb) => ({
              clicks: eb('link_clicks.clicks', '+', eb.ref('excluded.clicks')),
            })),
        )
        .execute();
    }
  }

  async statsOf(linkId: string, fromDay: number, limit: number): Promise<StoredClickStats> {
    try {
      const base = this.db
        .selectFrom('link_clicks')
        .where('link_id', '=', linkId)
        .where('day', '>=', fromDay);
      const breakdown = async (column: 'referrer' | 'device' | 'browser'): Promise<KeyCount[]> => {
        const rows = await base
          .select([column, clickSum.as('clicks')])
          .groupBy(column)
          .orderBy('clicks', 'desc')
          .orderBy(column)
          .limit(limit)
          .execute();
        return rows.map((r) => ({ key: r[column], clicks: Number(r.clicks) }));
      };
      const [byDay, referrers, devices, browsers, bots] = await Promise.all([
        base
          .select(['day', clickSum.as('clicks')])
          .groupBy('day')
          .orderBy('day')
          .execute(),
        breakdown('referrer'),
        breakdown('device'),
        breakdown('browser'),
        base.select(clickSum.as('clicks')).where('bot', '=', 1).executeTakeFirst(),
      ]);
      return {
        byDay: byDay.map((r) => ({ day: Number(r.day), clicks: Number(r.clicks) })),
        referrers,
        devices,
        browsers,
        bots: Number(bots?.clicks ?? 0),
      };
    } catch (error) {
      throw linkStorageError(error);
    }
  }
}
