import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths whose values never reach the logs: credentials in headers and in bodies, and
 * tokens wherever they appear.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.token',
  '*.newPassword',
  'password',
  'token',
];

/** Creates the JSON logger of one server process (stdout, or the given destination). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
