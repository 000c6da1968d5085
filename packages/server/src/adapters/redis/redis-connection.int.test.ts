import { describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import { startPrivateRedis } from '../../test-support/scale-out.js';
import { freePort } from '../../test-support/spawn-server.js';
import { closeRedis, describeLocation, openRedis } from './redis-connection.js';

const logger = createLogger('silent');

describe(openRedis.name, () => {
  it('fails with the address, and without the password, when Redis does not answer', async () => {
    const port = await freePort();
    const url = `redis://:hunter2@127.0.0.1:${port}/3`;
    const failure = openRedis({ location: { kind: 'standalone', url }, name: 'x', logger });
    await expect(failure).rejects.toThrow(`Redis at redis://127.0.0.1:${port}/3 is not reachable`);
    await expect(failure).rejects.not.toThrow(/hunter2/);
  });

  it('describes Sentinel and Cluster locations for messages', () => {
    expect(
      describeLocation({
        kind: 'sentinel',
        sentinels: [{ host: 's1', port: 26379 }],
        name: 'main',
        password: 'x',
        tls: false,
      }),
    ).toBe('master "main" of sentinels s1:26379');
    expect(
      describeLocation({
        kind: 'cluster',
        nodes: [{ host: 'r', port: 7000 }],
        password: undefined,
        tls: true,
      }),
    ).toBe('cluster r:7000');
  });

  it('fails a command at once while Redis is down, instead of queueing it', async () => {
    const server = await startPrivateRedis();
    const redis = await openRedis({
      location: { kind: 'standalone', url: server.url },
      name: 'x',
      logger,
    });
    try {
      await server.kill();
      const started = performance.now();
      await expect(redis.get('k')).rejects.toThrow();
      expect(performance.now() - started).toBeLessThan(1_500);
    } finally {
      await closeRedis(redis);
      await server.close();
    }
  });
});
