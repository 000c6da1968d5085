import type { Kysely, Migration } from 'kysely';

/** The tables of the accounts domain. */
export const accounts: Migration = {
  async up(_db: Kysely<unknown>) {},
};
