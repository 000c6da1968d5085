import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { openDatabase, type DatabaseHandle } from './database.js';

describe('the SQLite database files', () => {
  let dir: string;
  let handle: DatabaseHandle | null = null;
  afterEach(async () => {
    await handle?.close();
    handle = null;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const mode = (file: string) => fs.statSync(file).mode & 0o777;

  it('are readable by the server’s user only: they hold password and token hashes', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-files-'));
    const file = path.join(dir, 'switchboard.db');
    const umask = process.umask(0o022); // the usual umask, whatever the test runner's
    try {
      handle = await openDatabase(
        { kind: 'sqlite', file, synchronous: 'NORMAL' },
        createLogger('silent'),
      );
    } finally {
      process.umask(umask);
    }
    // The migrations have written: the WAL and its index exist.
    expect(mode(file)).toBe(0o600);
    expect(mode(`${file}-wal`)).toBe(0o600);
    expect(mode(`${file}-shm`)).toBe(0o600);
  });

  it('keeps the mode an operator gave an existing database', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-files-'));
    const file = path.join(dir, 'switchboard.db');
    fs.writeFileSync(file, '');
    fs.chmodSync(file, 0o640);
    handle = await openDatabase(
      { kind: 'sqlite', file, synchronous: 'NORMAL' },
      createLogger('silent'),
    );
    expect(mode(file)).toBe(0o640);
  });
});
