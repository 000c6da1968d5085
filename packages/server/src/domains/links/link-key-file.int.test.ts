import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import { LINK_KEY_FILE, loadOrCreateLinkKey } from './link-key-file.js';

const silent = createLogger('silent');

describe(loadOrCreateLinkKey.name, () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-key-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates a 256-bit key readable by its owner only, at first start', () => {
    const key = loadOrCreateLinkKey(dir, silent);
    expect(key).toHaveLength(32);
    const file = path.join(dir, LINK_KEY_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(key.toString('hex'));
  });

  it('reads the same key at every later start', () => {
    const first = loadOrCreateLinkKey(dir, silent);
    expect(loadOrCreateLinkKey(dir, silent).equals(first)).toBe(true);
  });

  it('makes a different key for each data directory', () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-key-'));
    try {
      expect(loadOrCreateLinkKey(dir, silent).equals(loadOrCreateLinkKey(other, silent))).toBe(
        false,
      );
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses to start on a damaged key instead of making codes from another one', () => {
    fs.writeFileSync(path.join(dir, LINK_KEY_FILE), 'not a key\n', { mode: 0o600 });
    expect(() => loadOrCreateLinkKey(dir, silent)).toThrow(/not a link key/);
  });
});
