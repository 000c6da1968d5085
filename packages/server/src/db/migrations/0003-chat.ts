import type { Kysely, Migration } from 'kysely';

/** The tables of the chat domain. */
export const chat: Migration = {
  async up(_db: Kysely<unknown>) {},
};
