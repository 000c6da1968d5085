import { afterEach, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../../server/src/test-support/spawn-server.js';
import { MemoryHistoryStore } from '../src/node.js';
import {
  clientOptions,
  RecordingClient,
  REAL_SERVER_ENV,
  realHarnessOn,
  waitFor,
} from './harness.js';

describe('SwitchboardClient across a SIGKILL of the server', () => {
  const servers: SpawnedServer[] = [];
  const clients: RecordingClient[] = [];

  afterEach(async () => {
    for (const recording of clients.splice(0)) await recording.client.close();
    for (const server of servers.splice(0)) await server.stop('SIGKILL');
  });

  it('delivers every message answered sent after a restart, none twice to a device that acknowledged it', async () => {
    const first = await spawnServer({ env: REAL_SERVER_ENV });
    servers.push(first);
    const harness = realHarnessOn(first.baseUrl, () => Promise.resolve(), {});
    const alice = await harness.user('alice');
    const bob = await harness.user('bob');
    const options = {
      reconnect: { initialDelayMs: 100, maxDelayMs: 300 },
      connectTimeoutMs: 5_000,
    };
    const a = new RecordingClient(
      clientOptions(harness, alice.session, new MemoryHistoryStore(), options),
    );
    const b = new RecordingClient(
      clientOptions(harness, bob.session, new MemoryHistoryStore(), options),
    );
    clients.push(a, b);
    await Promise.all([a.client.connect(), b.client.connect()]);

    const total = 2_000;
    let answered = 0;
    a.client.on('status', (m) => {
      if (m.status === 'sent') answered += 1;
    });
    const ids: string[] = [];
    for (let i = 0; i < total; i += 1)
      ids.push((await a.client.send({ user: bob.userId }, { i })).id);
    await waitFor(
      () => answered >= 300,
      60_000,
      () => '300 messages answered sent',
    );
    expect(await first.stop('SIGKILL')).toBeNull();
    const sentBeforeKill = (await a.client.history(`user:${bob.userId}`, { limit: total })).messages
      .filter((m) => m.status !== 'pending')
      .map((m) => m.id);
    expect(sentBeforeKill.length).toBeGreaterThanOrEqual(300);
    expect(sentBeforeKill.length).toBeLessThan(total);

    const second = await spawnServer({
      env: REAL_SERVER_ENV,
      dataDir: first.dataDir,
      port: first.port,
    });
    servers.push(second);
    await waitFor(
      () => a.client.pendingCount === 0,
      90_000,
      () => `${a.client.pendingCount} still pending`,
    );
    await waitFor(
      () => b.messages.length >= total,
      90_000,
      () => `${b.messages.length} of ${total} delivered`,
    );

    expect(b.ids()).toEqual(ids);
    const delivered = new Set(b.ids());
    expect(sentBeforeKill.filter((id) => !delivered.has(id))).toEqual([]);
    expect(b.redeliveredAfterAck()).toEqual([]);
    expect(b.sockets.length).toBeGreaterThanOrEqual(2);
  }, 180_000);
});
