import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchPostgres, type ScratchPostgres } from '../../test-support/scale-out.js';
import { servicesAvailable } from '../../test-support/services.js';
import { openPostgres } from './postgres-database.js';

describe.skipIf(!(await servicesAvailable(['postgres'])))(openPostgres.name, () => {
  let database: ScratchPostgres;
  afterEach(() => database.drop());

  it('keeps at most the pool size of connections, however many queries wait', async () => {
    database = await createScratchPostgres();
    const handle = await openPostgres(database.url, 2);
    try {
      const name = new URL(database.url).pathname.slice(1);
      const counts = await Promise.all(
        Array.from({ length: 6 }, () =>
          sql<{ n: string }>`select count(*) as n from pg_stat_activity where datname = ${name}`
            .execute(handle.db)
            .then(async (r) => {
              await sql`select pg_sleep(0.05)`.execute(handle.db);
              return Number(r.rows[0]?.n);
            }),
        ),
      );
      expect(Math.max(...counts)).toBeLessThanOrEqual(2);
    } finally {
      await handle.close();
    }
  });
});
