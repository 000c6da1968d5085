/** Row types of the accounts tables, as Kysely sees them. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AccountsTables {}
