import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { IdBlock, LinkIdAllocator } from '../../domains/links/link-id-allocator.js';
import { linkStorageError } from './kysely-link-errors.js';

/**
 * The token service on a counter row: one `UPDATE ... RETURNING` takes a block, so
 * two processes sharing the database never get the same ids.
 */
export class KyselyLinkIdAllocator implements LinkIdAllocator {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly counter = 'links',
  ) {}

  async allocate(size: number): Promise<IdBlock> {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`bad block size ${size}`);
    try {
      const row = await this.db
        .updateTable('link_key_counters')
        .set((eb) => ({ next_id: eb('next_id', '+', size) }))
        .where('name', '=', this.counter)
        .returning('next_id')
        .executeTakeFirst();
      if (row === undefined) throw new Error(`no counter row "${this.counter}"`);
      return { first: Number(row.next_id) - size, count: size };
    } catch (error) {
      throw linkStorageError(error);
    }
  }
}
