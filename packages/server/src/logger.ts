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

/**
 * Creates the JSON logger of one server process (stdout, or the given destination).
 * Stdout is written synchronously: a line is out before the next statement runs, so a
 * crash loses none, and nothing is left to flush at exit. The asynchronous default
 * flushes at exit in a loop that retries a write to a closed pipe for ever (EPIPE,
 * sonic-boom 4), which kept a stopped server alive once whatever read its output had
 * gone; a synchronous write that fails with EPIPE is dropped, and so is the rest.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
