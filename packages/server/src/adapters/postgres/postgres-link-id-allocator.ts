import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { IdBlock, LinkIdAllocator } from '../../domains/links/link-id-allocator.js';
import { linkStorageError } from '../sql/kysely-link-errors.js';

/**
 * The token service of a cluster: each `nextval` of the sequence `link_id_blocks`
 * (created by migration 0004, `INCREMENT BY` the block) is the first id of a block
 * that no other node ever gets. Unlike the counter row, a sequence takes no row lock
 * and is never rolled back, so nodes taking blocks at once never wait for each other.
 *
 * The block is the sequence's increment, whatever size is asked (the port allows
 * it): an increment read in the same statement as `nextval`, so that an operator
 * who changes it (`ALTER SEQUENCE link_id_blocks INCREMENT BY n`, every node
 * stopped) changes every node's blocks with it.
 */
export class PostgresLinkIdAllocator implements LinkIdAllocator {
  constructor(private readonly db: Kysely<Database>) {}

  async allocate(size: number): Promise<IdBlock> {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`bad block size ${size}`);
    try {
      const { rows } = await sql<{ first: string | number; count: string | number }>`
        select nextval('link_id_blocks') as first,
          (select seqincrement from pg_sequence where seqrelid = 'link_id_blocks'::regclass) as count
      `.execute(this.db);
      const row = rows[0];
      if (row === undefined) throw new Error('nextval answered no row');
      return { first: Number(row.first), count: Number(row.count) };
    } catch (error) {
      throw linkStorageError(error);
    }
  }
}
