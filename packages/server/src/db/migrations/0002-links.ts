import type { Kysely, Migration } from 'kysely';

/** The tables of the links domain. */
export const links: Migration = {
  async up(_db: Kysely<unknown>) {},
};
