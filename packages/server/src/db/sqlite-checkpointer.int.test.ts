import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { openDatabase, type DatabaseHandle } from './database.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';

describe(SqliteCheckpointer.name, () => {
  let dir: string;
  let handle: DatabaseHandle | null = null;
  afterEach(async () => {
    await handle?.close();
    handle = null;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(): Promise<{ handle: DatabaseHandle; file: string }> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-ckpt-'));
    const file = path.join(dir, 'test.db');
    handle = await openDatabase(
      { kind: 'sqlite', file, synchronous: 'NORMAL' },
      createLogger('silent'),
    );
    return { handle, file };
  }

  /** Writes about `mb` megabytes in commits of 256 KB, as a busy server does. */
  function write(handle: DatabaseHandle, mb: number): void {
    const sqlite = handle.sqlite!;
    sqlite.exec('CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, blob BLOB)');
    const insert = sqlite.prepare('INSERT INTO filler (blob) VALUES (?)');
    const chunk = Buffer.alloc(4096, 7);
    for (let c = 0; c < mb * 4; c++) {
      sqlite.transaction(() => {
        for (let i = 0; i < 64; i++) insert.run(chunk);
      })();
    }
  }

  it('starts once the WAL has grown, and checkpoints it off the connection', async () => {
    const { handle, file } = await open();
    const checkpointer = handle.checkpointer!;
    expect(checkpointer.running).toBe(false);
    expect(handle.sqlite!.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    handle.sqlite!.pragma('wal_autocheckpoint = 0');
    write(handle, 8);
    // Nothing checkpointed the WAL yet: the database file has not grown.
    expect(fs.statSync(file).size).toBeLessThan(1024 * 1024);
    await expect.poll(() => checkpointer.running, { timeout: 5_000, interval: 50 }).toBe(true);
    await expect
      .poll(() => handle.sqlite!.pragma('wal_autocheckpoint', { simple: true }), {
        timeout: 5_000,
        interval: 20,
      })
      .toBe(0);
    await expect
      .poll(() => fs.statSync(file).size, { timeout: 10_000, interval: 50 })
      .toBeGreaterThan(8 * 1024 * 1024);
  });

  it('keeps up with writes that go on, and gives checkpoints back when stopped', async () => {
    const { handle, file } = await open();
    const checkpointer = handle.checkpointer!;
    checkpointer.start();
    await expect
      .poll(() => handle.sqlite!.pragma('wal_autocheckpoint', { simple: true }), {
        timeout: 5_000,
        interval: 20,
      })
      .toBe(0);
    for (let round = 1; round <= 3; round++) {
      write(handle, 4);
      await expect
        .poll(() => fs.statSync(file).size, { timeout: 10_000, interval: 50 })
        .toBeGreaterThan(round * 4 * 1024 * 1024);
    }
    await checkpointer.stop();
    expect(checkpointer.running).toBe(false);
    expect(handle.sqlite!.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});
