import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadinessCheck } from '../deps.js';
import { startTestServer, type TestServer } from '../test-support/test-app.js';

describe('/readyz', () => {
  let server: TestServer;
  const logLines: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ LOG_LEVEL: 'warn' }, {}, { logLines });
  });
  afterAll(() => server.close());

  it('says a check failed without its cause, which goes to the log', async () => {
    // A driver's message names hosts, ports and users: not for anonymous callers.
    const failing: ReadinessCheck = {
      name: 'redis',
      check: () => Promise.reject(new Error('connect ECONNREFUSED cache.internal.example:6379')),
    };
    server.deps.readiness.push(failing);
    const res = await fetch(`${server.baseUrl}/readyz`);
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(JSON.parse(text)).toEqual({
      status: 'unavailable',
      checks: { database: 'ok', redis: 'failed' },
    });
    expect(text).not.toContain('cache.internal');
    expect(logLines.join('\n')).toContain('cache.internal.example:6379');
  });
});
