import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { callApi, registerUser } from '../../test-support/accounts.js';
import { spawnServer, type SpawnedServer } from '../../test-support/spawn-server.js';
import { TestSocket } from './test-support/ws-client.js';

describe('chat: durability across SIGKILL', () => {
  const servers: SpawnedServer[] = [];
  const sockets: TestSocket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    for (const server of servers.splice(0)) {
      await server.stop('SIGKILL');
      fs.rmSync(server.dataDir, { recursive: true, force: true });
    }
  });

  it('finishes a SIGTERM with sockets open, closing them with 1001', async () => {
    const server = await spawnServer();
    servers.push(server);
    const user = await registerUser(server.baseUrl);
    const signedIn = await TestSocket.connect(server.baseUrl, user.token);
    const anonymous = await TestSocket.open(server.baseUrl);
    sockets.push(signedIn, anonymous);
    await signedIn.take((f) => f.type === 'synced');
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(await signedIn.waitClosed()).toMatchObject({ code: 1001 });
    expect(await anonymous.waitClosed()).toMatchObject({ code: 1001 });
    expect(server.logs.some((l) => l.includes('shutdown complete'))).toBe(true);
  });

  it('delivers every message answered `sent` after a crash, and none twice', async () => {
    const first = await spawnServer();
    servers.push(first);
    const alice = await registerUser(first.baseUrl);
    const bob = await registerUser(first.baseUrl);
    const group = await callApi<{ groupId: string }>(first.baseUrl, 'POST', '/api/groups', {
      token: alice.token,
      body: { name: 'Crash', members: [bob.userId] },
    });
    expect(group.status).toBe(201);

    const sender = await TestSocket.connect(first.baseUrl, alice.token);
    const reader = await TestSocket.connect(first.baseUrl, bob.token);
    sockets.push(sender, reader);
    await reader.take((f) => f.type === 'synced');

    // The reader processes and acknowledges as it goes, as a client does.
    const received: string[] = [];
    let lastSeq = 0;
    reader.ws.on('message', (data) => {
      const frame = JSON.parse((data as Buffer).toString('utf8')) as {
        type: string;
        id?: string;
        seq?: number;
      };
      if (frame.type !== 'msg') return;
      received.push(frame.id!);
      lastSeq = frame.seq!;
      reader.send({ type: 'ack', seq: frame.seq });
    });

    // Pipelined sends, half 1:1 and half to the group; SIGKILL once enough are answered.
    const ids = Array.from({ length: 400 }, (_, i) => `k-${i}`);
    for (const [i, id] of ids.entries()) {
      const to = i % 2 === 0 ? { user: bob.userId } : { group: group.body.groupId };
      sender.send({ type: 'send', id, to, body: { i } });
    }
    await sender.takeAll(100, (f) => f.type === 'sent');
    await first.stop('SIGKILL');
    const answered = sender.frames.filter((f) => f.type === 'sent').map((f) => f.id as string);
    const receivedBeforeCrash = [...received];
    expect(answered.length).toBeGreaterThanOrEqual(100);

    const second = await spawnServer({ dataDir: first.dataDir, port: first.port });
    servers.push(second);
    const back = await TestSocket.connect(second.baseUrl, bob.token, lastSeq);
    sockets.push(back);
    const after: string[] = [];
    let synced = false;
    while (
      !synced ||
      !answered.every((id) => receivedBeforeCrash.includes(id) || after.includes(id))
    ) {
      const frame = await back.take((f) => f.type === 'msg' || f.type === 'synced');
      if (frame.type === 'synced') {
        synced = true;
        continue;
      }
      after.push(frame.id as string);
      back.send({ type: 'ack', seq: frame.seq });
    }
    const all = [...receivedBeforeCrash, ...after];
    for (const id of answered) expect(all, id).toContain(id);
    expect(new Set(all).size).toBe(all.length);

    // The sender's outbox resends everything: what was stored is not stored again,
    // what was lost is stored now, and the reader ends with each message exactly once.
    const resender = await TestSocket.connect(second.baseUrl, alice.token);
    sockets.push(resender);
    for (const [i, id] of ids.entries()) {
      const to = i % 2 === 0 ? { user: bob.userId } : { group: group.body.groupId };
      resender.send({ type: 'send', id, to, body: { i } });
    }
    const resent = await resender.takeAll(
      ids.length,
      (f) => f.type === 'sent' || f.type === 'error',
    );
    expect(resent.filter((f) => f.type === 'error')).toEqual([]);
    const firstTs = new Map(
      sender.frames.filter((f) => f.type === 'sent').map((f) => [f.id, f.ts]),
    );
    for (const frame of resent) {
      if (firstTs.has(frame.id)) expect(frame.ts, String(frame.id)).toBe(firstTs.get(frame.id));
    }
    while (new Set([...all, ...after]).size < ids.length) {
      const frame = await back.take((f) => f.type === 'msg');
      after.push(frame.id as string);
      back.send({ type: 'ack', seq: frame.seq });
    }
    const everything = [...receivedBeforeCrash, ...after];
    expect(new Set(everything).size).toBe(ids.length);
    expect(everything.length).toBe(ids.length);
  });
});
