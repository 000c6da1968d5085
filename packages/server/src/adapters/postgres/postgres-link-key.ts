import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Logger } from '../../logger.js';

/** The row of `server_secrets` that holds the code permutation's key. */
export const LINK_KEY_SECRET = 'link-key';

/**
 * The key of the code permutation, shared by every node through the database: nodes
 * with different keys would map different ids to the same code, and the codes would
 * stop being unique by construction. The first node to start stores one (the key of
 * `$DATA_DIR/link-key` when `seed` has it, so that a single node moved onto
 * PostgreSQL keeps making the codes it made); every later node reads that one.
 */
export async function loadOrCreateSharedLinkKey(
  db: Kysely<Database>,
  logger: Logger,
  seed: Buffer | null,
): Promise<Buffer> {
  const candidate = seed ?? randomBytes(32);
  // `do nothing` on conflict: two nodes starting at once both read the winner's key.
  const inserted = await db
    .insertInto('server_secrets')
    .values({ name: LINK_KEY_SECRET, value: candidate.toString('hex'), created_at: Date.now() })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('name')
    .executeTakeFirst();
  if (inserted !== undefined) {
    logger.info({ seeded: seed !== null }, 'stored the link key in the database');
  }
  const row = await db
    .selectFrom('server_secrets')
    .select('value')
    .where('name', '=', LINK_KEY_SECRET)
    .executeTakeFirstOrThrow();
  if (!/^[0-9a-f]{64}$/i.test(row.value)) {
    throw new Error(
      `server_secrets.${LINK_KEY_SECRET} is not a link key (64 hexadecimal characters); restore it from a backup`,
    );
  }
  return Buffer.from(row.value, 'hex');
}
