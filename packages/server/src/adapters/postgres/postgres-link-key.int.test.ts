import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import { createPostgresTestDatabase, type TestDatabase } from '../../test-support/databases.js';
import { servicesAvailable } from '../../test-support/services.js';
import { LINK_KEY_SECRET, loadOrCreateSharedLinkKey } from './postgres-link-key.js';

const logger = createLogger('silent');

describe.skipIf(!(await servicesAvailable(['postgres'])))(loadOrCreateSharedLinkKey.name, () => {
  let database: TestDatabase;
  afterEach(() => database.dispose());

  it('gives every node starting at once the same key', async () => {
    database = await createPostgresTestDatabase();
    const keys = await Promise.all(
      Array.from({ length: 5 }, () => loadOrCreateSharedLinkKey(database.handle.db, logger, null)),
    );
    expect(keys[0]).toHaveLength(32);
    for (const key of keys) expect(key.equals(keys[0]!)).toBe(true);
  });

  it('keeps the key of the first node that had one in its data directory, and only that one', async () => {
    database = await createPostgresTestDatabase();
    const first = randomBytes(32);
    expect((await loadOrCreateSharedLinkKey(database.handle.db, logger, first)).equals(first)).toBe(
      true,
    );
    const later = await loadOrCreateSharedLinkKey(database.handle.db, logger, randomBytes(32));
    expect(later.equals(first)).toBe(true);
  });

  it('refuses a damaged key rather than making colliding codes', async () => {
    database = await createPostgresTestDatabase();
    await database.handle.db
      .insertInto('server_secrets')
      .values({ name: LINK_KEY_SECRET, value: 'not hex', created_at: 0 })
      .execute();
    await expect(loadOrCreateSharedLinkKey(database.handle.db, logger, null)).rejects.toThrow(
      /not a link key/,
    );
  });
});
