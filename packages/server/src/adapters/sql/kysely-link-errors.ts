import { AppError } from '@switchboard/shared';

/** Driver error codes that mean the database cannot be reached or is going away. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

/**
 * What the links adapters throw instead of a driver error: `SERVICE_UNAVAILABLE` when
 * the database cannot answer right now, `INTERNAL` (with the cause kept for the log)
 * for anything else. `AppError`s pass through.
 */
export function linkStorageError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const unavailable =
    (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) ||
    (error instanceof Error && /connection|pool/i.test(error.message) && code === undefined);
  return unavailable
    ? new AppError('SERVICE_UNAVAILABLE', 'The link database is not answering; retry shortly.', {
        cause: error,
      })
    : new AppError('INTERNAL', 'The link database failed.', { cause: error });
}
