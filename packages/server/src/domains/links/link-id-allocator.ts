/** A block of consecutive ids: `first`, `first + 1`, ... `first + count - 1`. */
export interface IdBlock {
  readonly first: number;
  readonly count: number;
}

/**
 * The token service: hands out blocks of ids that no other caller (process or node)
 * ever gets. A counter row in SQLite; a sequence can back it in PostgreSQL, which is
 * why the adapter may answer a block of another size than asked.
 */
export interface LinkIdAllocator {
  allocate(size: number): Promise<IdBlock>;
}
