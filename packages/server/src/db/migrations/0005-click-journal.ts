import type { Kysely, Migration } from 'kysely';

/**
 * The click journal: clicks are appended here every flush interval, in one row per
 * flush (sequential pages, whatever links were clicked), and folded into `links.clicks`
 * and `link_clicks` now and then, in link order, so that a commit writes each page of
 * those tables once for many clicks instead of once per click.
 *
 * - `link_click_journal`: one row per flush, `clicks` the flush's clicks as JSON;
 * - `link_click_folds`: while a fold is under way, how far it got (the journal rows up
 *   to `upto_position`, for the links up to `through_link_id`), so that a restart after
 *   a crash neither counts a folded click twice nor misses one.
 */
export const clickJournal: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('link_click_journal')
      .addColumn('position', 'bigint', (c) => c.primaryKey())
      .addColumn('clicks', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('link_click_folds')
      .addColumn('name', 'varchar(16)', (c) => c.primaryKey())
      .addColumn('upto_position', 'bigint', (c) => c.notNull())
      .addColumn('through_link_id', 'varchar(36)', (c) => c.notNull())
      .execute();
  },
};
