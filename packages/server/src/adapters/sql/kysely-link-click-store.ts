import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { ClickJournal, RecoveredClicks } from '../../domains/links/click-journal.js';
import type {
  ClickRow,
  ClickStore,
  KeyCount,
  LinkClicks,
  StoredClickStats,
} from '../../domains/links/click-store.js';
import type { DeviceClass } from '../../domains/links/visitor-profile.js';
import { isForeignKeyViolation } from './sql-errors.js';
import { linkStorageError } from './kysely-link-errors.js';
import { prepareQuery, type PreparedDatabase, type PreparedQuery } from './prepared-query.js';

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

/** The one row of `link_click_folds`. */
const FOLD = 'fold';

/** A fold's progress, written with each of its parts. */
interface FoldProgress {
  readonly upto: number;
  readonly throughLinkId: string;
}

/** Options of the store. */
export interface KyselyLinkClickStoreOptions {
  /**
   * Whether clicks go through the journal (`ClickJournal`): by default on SQLite, whose
   * commits cost a write per page touched. PostgreSQL writes the aggregates directly.
   */
  readonly journal?: boolean;
}

/** Aggregated clicks in SQLite or PostgreSQL, through one Kysely code path. */
export class KyselyLinkClickStore implements ClickStore {
  private readonly db: Kysely<Database>;
  /** The one-row statements of the synchronous SQLite flush. */
  readonly #one: {
    addTotal: PreparedQuery<'id' | 'n', unknown>;
    addRow: PreparedQuery<RowColumn, unknown>;
    saveProgress: PreparedQuery<'upto' | 'through', unknown>;
  };
  /** The click journal, when this store keeps one. */
  readonly journal: ClickJournal | null;

  constructor(
    private readonly database: PreparedDatabase,
    options: KyselyLinkClickStoreOptions = {},
  ) {
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
      saveProgress: prepareQuery(database, ['upto', 'through'], (param) =>
        progressUpsert(db, param('upto'), param('through')),
      ),
    };
    this.journal =
      (options.journal ?? database.sqlite !== null)
        ? new KyselyClickJournal(db, (part, progress) => this.#apply(part, progress))
        : null;
  }

  addClicks(batch: readonly LinkClicks[]): Promise<void> {
    return this.#apply(batch, null);
  }

  /** Writes a batch in one transaction, with a fold's progress when given. */
  async #apply(batch: readonly LinkClicks[], progress: FoldProgress | null): Promise<void> {
    if (batch.length === 0 && progress === null) return;
    const { sqlite } = this.database;
    if (sqlite !== null && !sqlite.inTransaction) {
      // On SQLite the whole flush is one synchronous transaction of prepared one-row
      // statements: nothing can interleave, and nothing is built or parsed per row.
      try {
        sqlite.transaction(() => {
          this.#writeNow(batch);
          if (progress !== null) {
            this.#one.saveProgress.sync({ upto: progress.upto, through: progress.throughLinkId });
          }
        })();
        return;
      } catch (error) {
        throw linkStorageError(error);
      }
    }
    // A link deleted between the existence check and the insert (PostgreSQL runs them
    // concurrently) fails the transaction on its foreign key: check again and retry.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.transaction().execute(async (trx) => {
          await this.#write(trx, batch);
          if (progress !== null) {
            await progressUpsert(trx, progress.upto, progress.throughLinkId).execute();
          }
        });
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
    if (batch.length === 0) return;
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

/** Records (or moves on) the progress of the fold under way. */
function progressUpsert(db: Kysely<Database>, upto: unknown, through: unknown) {
  return db
    .insertInto('link_click_folds')
    .values({ name: FOLD, upto_position: upto as number, through_link_id: through as string })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet((eb) => ({
        upto_position: eb.ref('excluded.upto_position'),
        through_link_id: eb.ref('excluded.through_link_id'),
      })),
    );
}

/** A journal record: `[linkId, uncounted, [[day, referrer, device, browser, bot, clicks], ...]]` per link. */
type JournalRecord = Array<
  [string, number, Array<[number, string, string, string, 0 | 1, number]>]
>;

function encodeRecord(clicks: readonly LinkClicks[]): string {
  const record: JournalRecord = clicks.map((link) => [
    link.linkId,
    link.uncounted,
    link.rows.map((r) => [r.day, r.referrer, r.device, r.browser, r.bot ? 1 : 0, r.clicks]),
  ]);
  return JSON.stringify(record);
}

/** Adds up clicks per link and per row key. */
class ClickMerger {
  readonly #links = new Map<string, { uncounted: number; rows: Map<string, ClickRow> }>();

  add(linkId: string, uncounted: number, rows: readonly ClickRow[]): void {
    let link = this.#links.get(linkId);
    if (link === undefined) this.#links.set(linkId, (link = { uncounted: 0, rows: new Map() }));
    link.uncounted += uncounted;
    for (const row of rows) {
      const key = `${row.day}\u0001${row.referrer}\u0001${row.device}\u0001${row.browser}\u0001${row.bot ? 1 : 0}`;
      const existing = link.rows.get(key);
      link.rows.set(
        key,
        existing === undefined ? row : { ...row, clicks: existing.clicks + row.clicks },
      );
    }
  }

  result(): LinkClicks[] {
    return [...this.#links].map(([linkId, { uncounted, rows }]) => ({
      linkId,
      uncounted,
      rows: [...rows.values()],
    }));
  }
}

/** The click journal on the store's database (see `ClickJournal`). */
class KyselyClickJournal implements ClickJournal {
  /** The last position written; the store is the journal's only writer. */
  #position = 0;

  constructor(
    private readonly db: Kysely<Database>,
    /** The store's own write: a fold's part with its progress, in one transaction. */
    private readonly write: (part: readonly LinkClicks[], progress: FoldProgress) => Promise<void>,
  ) {}

  async recover(): Promise<RecoveredClicks> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const records = await trx
          .selectFrom('link_click_journal')
          .select(['position', 'clicks'])
          .orderBy('position')
          .execute();
        const progress = await trx
          .selectFrom('link_click_folds')
          .select(['upto_position', 'through_link_id'])
          .where('name', '=', FOLD)
          .executeTakeFirst();
        const upto = progress === undefined ? 0 : Number(progress.upto_position);
        const through = progress?.through_link_id ?? '';
        const merger = new ClickMerger();
        let position = 0;
        for (const record of records) {
          position = Number(record.position);
          for (const [linkId, uncounted, rows] of JSON.parse(record.clicks) as JournalRecord) {
            // Folded before the crash: the part that held this link committed.
            if (position <= upto && linkId <= through) continue;
            merger.add(
              linkId,
              uncounted,
              rows.map(([day, referrer, device, browser, bot, clicks]) => ({
                day,
                referrer,
                device: device as DeviceClass,
                browser,
                bot: bot === 1,
                clicks,
              })),
            );
          }
        }
        const clicks = merger.result();
        // One record of what is left, and no progress: the interrupted fold is settled,
        // and the next one starts from a clean journal.
        if (records.length > 1 || progress !== undefined) {
          await trx.deleteFrom('link_click_journal').execute();
          await trx.deleteFrom('link_click_folds').execute();
          if (clicks.length > 0) {
            position++;
            await trx
              .insertInto('link_click_journal')
              .values({ position, clicks: encodeRecord(clicks), created_at: Date.now() })
              .execute();
          }
        }
        this.#position = position;
        return { clicks, position };
      });
    } catch (error) {
      throw linkStorageError(error);
    }
  }

  async append(clicks: readonly LinkClicks[]): Promise<number> {
    const position = this.#position + 1;
    try {
      await this.db
        .insertInto('link_click_journal')
        .values({ position, clicks: encodeRecord(clicks), created_at: Date.now() })
        .execute();
    } catch (error) {
      throw linkStorageError(error);
    }
    this.#position = position;
    return position;
  }

  fold(part: readonly LinkClicks[], upto: number, throughLinkId: string): Promise<void> {
    return this.write(part, { upto, throughLinkId });
  }

  async trim(upto: number): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('link_click_journal').where('position', '<=', upto).execute();
        await trx.deleteFrom('link_click_folds').execute();
      });
    } catch (error) {
      throw linkStorageError(error);
    }
  }
}
