/**
 * Driver errors, recognised for both engines, so that adapters can translate them
 * into domain errors and nothing above an adapter sees a driver error.
 */

interface DriverError {
  code?: unknown;
}

/** A unique or primary-key violation: SQLite's SQLITE_CONSTRAINT_* or PostgreSQL's 23505. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as DriverError).code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/** A foreign-key violation: SQLite's SQLITE_CONSTRAINT_FOREIGNKEY or PostgreSQL's 23503. */
export function isForeignKeyViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as DriverError).code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
