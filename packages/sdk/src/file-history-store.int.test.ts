import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileHistoryStore } from './file-history-store.js';
import { runHistoryStoreContract } from './history-store.contract.js';
import { storedMessage } from './test-support/factories.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-history-'));
let counter = 0;
const nextFile = () => path.join(dir, `h${++counter}.jsonl`);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

runHistoryStoreContract(FileHistoryStore.name, {
  create: () => FileHistoryStore.open(nextFile()),
  async reopen(store) {
    await store.close();
    return FileHistoryStore.open((store as FileHistoryStore).file);
  },
});

describe(FileHistoryStore.name, () => {
  it('creates its file readable by its owner only', async () => {
    const store = await FileHistoryStore.open(nextFile());
    await store.write({ messages: [storedMessage()] });
    expect(fs.statSync(store.file).mode & 0o777).toBe(0o600);
    await store.close();
  });

  it('drops a line torn by a crash and goes on appending after the last whole one', async () => {
    const file = nextFile();
    const store = await FileHistoryStore.open(file);
    const kept = storedMessage({ id: 'kept' });
    await store.write({ messages: [kept] });
    await store.close();
    fs.appendFileSync(file, '{"w":{"messages":[{"key":"half');
    const again = await FileHistoryStore.open(file);
    expect(await again.getMessages([kept.key])).toEqual([kept]);
    const later = storedMessage({ id: 'later' });
    await again.write({ messages: [later] });
    await again.close();
    const third = await FileHistoryStore.open(file);
    expect(await third.getMessages([kept.key, later.key])).toEqual([kept, later]);
    await third.close();
  });

  it('refuses a damaged line in the middle rather than silently losing history', async () => {
    const file = nextFile();
    const store = await FileHistoryStore.open(file);
    await store.write({ messages: [storedMessage()] });
    await store.close();
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.splice(1, 0, 'not json');
    fs.writeFileSync(file, lines.join('\n'));
    await expect(FileHistoryStore.open(file)).rejects.toThrow(/line 2 is not valid JSON/);
  });

  it('refuses a file that is not a history', async () => {
    const file = nextFile();
    fs.writeFileSync(file, '{"hello":"world"}\n');
    await expect(FileHistoryStore.open(file)).rejects.toThrow(/not a Switchboard history/);
  });

  it('refuses a second opener while the first holds the file', async () => {
    const file = nextFile();
    const store = await FileHistoryStore.open(file);
    await expect(FileHistoryStore.open(file)).rejects.toThrow(/already open/);
    await store.close();
    const again = await FileHistoryStore.open(file);
    await again.close();
  });

  it('takes over a lock left by a process that died', async () => {
    const file = nextFile();
    fs.writeFileSync(`${file}.lock`, '999999999');
    const store = await FileHistoryStore.open(file);
    await store.close();
  });

  it('compacts a log of overwritten records into what it holds, keeping every record', async () => {
    const store = await FileHistoryStore.open(nextFile(), {
      compactMinBytes: 64 * 1024,
      fsync: false,
    });
    const message = storedMessage({ id: 'hot', body: 'x'.repeat(500) });
    for (let i = 0; i < 400; i += 1) {
      await store.write({
        messages: [{ ...message, ts: i }],
        syncState: {
          userId: 'me',
          deviceId: 'd',
          lastSeq: i,
          nextOrder: 1,
          pendingReads: [],
        },
      });
    }
    // 400 writes of ~700 bytes would be ~280 KB uncompacted.
    expect(store.sizeBytes).toBeLessThan(64 * 1024);
    await store.close();
    const again = await FileHistoryStore.open(store.file);
    expect((await again.getMessages([message.key]))[0]?.ts).toBe(399);
    expect((await again.getSyncState())?.lastSeq).toBe(399);
    await again.close();
  });
});
