import { describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import { startPrivateNats } from '../../test-support/scale-out.js';
import { freePort } from '../../test-support/spawn-server.js';
import { closeNats, openNats } from './nats-connection.js';

const logger = createLogger('silent');

function at(url: string) {
  return { servers: [url], user: undefined, pass: undefined, token: undefined };
}

describe(openNats.name, () => {
  it('fails with the address when no NATS server answers', async () => {
    const port = await freePort();
    await expect(
      openNats({ location: at(`nats://127.0.0.1:${port}`), name: 'x', logger }),
    ).rejects.toThrow(`NATS at nats://127.0.0.1:${port} is not reachable`);
  });

  it('fails with a hint when the server has no JetStream', async () => {
    const server = await startPrivateNats({ jetstream: false });
    try {
      await expect(openNats({ location: at(server.url), name: 'x', logger })).rejects.toThrow(
        `NATS at ${server.url} has no JetStream (start nats-server with -js)`,
      );
    } finally {
      await server.close();
    }
  });

  it('connects to a server with JetStream', async () => {
    const server = await startPrivateNats();
    try {
      const nc = await openNats({ location: at(server.url), name: 'x', logger });
      expect(nc.isClosed()).toBe(false);
      await closeNats(nc);
      expect(nc.isClosed()).toBe(true);
    } finally {
      await server.close();
    }
  });
});
