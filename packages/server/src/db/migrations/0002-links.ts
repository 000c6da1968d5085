import { sql, type Kysely, type Migration } from 'kysely';

/** The tables of the links domain: links, their aggregated clicks, the id counter. */
export const links: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('links')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('code', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('owner_id', 'varchar(64)')
      .addColumn('password_hash', 'text')
      .addColumn('redirect_type', 'integer', (c) => c.notNull().defaultTo(302))
      .addColumn('expires_at', 'bigint')
      .addColumn('max_clicks', 'bigint')
      .addColumn('clicks', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    // "My links", newest first, paginated by (created_at, id).
    await db.schema
      .createIndex('links_owner_created')
      .on('links')
      .columns(['owner_id', 'created_at', 'id'])
      .execute();

    await db.schema
      .createTable('link_clicks')
      .addColumn('link_id', 'varchar(36)', (c) =>
        c.notNull().references('links.id').onDelete('cascade'),
      )
      .addColumn('day', 'bigint', (c) => c.notNull())
      .addColumn('referrer', 'varchar(255)', (c) => c.notNull())
      .addColumn('device', 'varchar(16)', (c) => c.notNull())
      .addColumn('browser', 'varchar(64)', (c) => c.notNull())
      .addColumn('bot', 'integer', (c) => c.notNull())
      .addColumn('clicks', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('link_clicks_pk', [
        'link_id',
        'day',
        'referrer',
        'device',
        'browser',
        'bot',
      ])
      .execute();

    await db.schema
      .createTable('link_key_counters')
      .addColumn('name', 'varchar(32)', (c) => c.primaryKey())
      .addColumn('next_id', 'bigint', (c) => c.notNull())
      .execute();
    await sql`insert into link_key_counters (name, next_id) values ('links', 0)`.execute(db);
  },
};
