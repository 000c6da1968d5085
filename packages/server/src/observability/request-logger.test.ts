import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { LazyRequestLogger } from './request-logger.js';

function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger(level, {
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
}

describe(LazyRequestLogger.name, () => {
  it('makes no child logger until something is logged', () => {
    const { logger } = capture('warn');
    const lazy = new LazyRequestLogger(logger, { reqId: 'req-1' }, {});
    expect(lazy.level).toBe('warn');
    expect(lazy.materialised).toBe(false);
  });

  it('logs a line with the request bindings, redacted like any other', () => {
    const { logger, lines } = capture('info');
    const lazy = new LazyRequestLogger(logger, { reqId: 'req-2' }, {});
    lazy.warn({ headers: { authorization: 'Bearer secret' } }, 'request failed');
    expect(lazy.materialised).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      reqId: 'req-2',
      msg: 'request failed',
      level: 40,
      headers: { authorization: '[redacted]' },
    });
  });

  it('keeps a level given in its options or set on it before the child exists', () => {
    const { logger, lines } = capture('info');
    const quiet = new LazyRequestLogger(logger, { reqId: 'a' }, { level: 'error' });
    expect(quiet.level).toBe('error');
    quiet.warn('dropped');
    const lowered = new LazyRequestLogger(logger, { reqId: 'b' }, {});
    lowered.level = 'debug';
    lowered.debug('kept');
    expect(lines.map((l) => l.msg)).toEqual(['kept']);
  });

  it('makes children of its own child', () => {
    const { logger, lines } = capture('info');
    const lazy = new LazyRequestLogger(logger, { reqId: 'req-3' }, {});
    lazy.child({ part: 'auth' }).info('nested');
    expect(lines[0]).toMatchObject({ reqId: 'req-3', part: 'auth', msg: 'nested' });
  });
});
