import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

/** The problems `parseConfig` lists for `env`; fails when it accepts it. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return expect.unreachable('the configuration was accepted');
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A blocklist file holding `text`, removed after the test. */
function blocklistFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-config-'));
  dirs.push(dir);
  const file = path.join(dir, 'blocked.txt');
  fs.writeFileSync(file, text);
  return file;
}

describe(parseConfig.name, () => {
  it('gives the embedded default with an empty environment', () => {
    const config = parseConfig({});
    expect(config.port).toBe(3000);
    expect(config.database.kind).toBe('sqlite');
    expect(config.services).toEqual({ links: true, chat: true });
    expect(config.publicUrl.origin).toBe('http://localhost:3000');
  });

  it('lists every problem at once', () => {
    try {
      parseConfig({
        PORT: 'abc',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'mysql://x',
        SERVICES: 'links,fax',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/PORT/);
      expect(problems).toMatch(/LOG_LEVEL/);
      expect(problems).toMatch(/SERVICES/);
    }
  });

  it('refuses a database URL it cannot use', () => {
    expect(() => parseConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });

  it('picks PostgreSQL from a postgres URL', () => {
    expect(parseConfig({ DATABASE_URL: 'postgres://u@h/db', CLUSTER: 'false' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@h/db',
    });
  });

  it('reads lists, booleans and proxy settings', () => {
    const config = parseConfig({
      SERVICES: 'links',
      TRUST_PROXY: '2',
      URL_BLOCKLIST: 'a.com, b.org',
      LOG_REQUESTS: 'yes',
    });
    expect(config.services).toEqual({ links: true, chat: false });
    expect(config.trustProxy).toBe(2);
    expect(config.env.URL_BLOCKLIST).toEqual(['a.com', 'b.org']);
    expect(config.env.LOG_REQUESTS).toBe(true);
  });

  it('refuses a public URL with a path', () => {
    expect(() => parseConfig({ PUBLIC_URL: 'https://sb.example/x' })).toThrow(/PUBLIC_URL/);
  });

  it('lists a malformed blocklist entry with the other problems', () => {
    // The entry used to be found only once the links module was built, after migrations.
    expect(
      problemsOf({ URL_BLOCKLIST: 'ok.example, exa mple.com', LINK_CACHE_SIZE: '-1' }),
    ).toEqual([
      expect.stringMatching(/^LINK_CACHE_SIZE: /),
      'URL_BLOCKLIST: "exa mple.com" is not a domain name or address',
    ]);
  });

  it('lists an unreadable blocklist file', () => {
    const missing = path.join(os.tmpdir(), 'switchboard-no-such-dir', 'blocked.txt');
    expect(problemsOf({ URL_BLOCKLIST_FILE: missing, LINK_CACHE_SIZE: '-1' })).toEqual([
      expect.stringMatching(/^LINK_CACHE_SIZE: /),
      `URL_BLOCKLIST_FILE: cannot read ${missing} (ENOENT)`,
    ]);
    const dir = path.dirname(blocklistFile(''));
    expect(problemsOf({ URL_BLOCKLIST_FILE: dir })).toEqual([
      `URL_BLOCKLIST_FILE: cannot read ${dir} (EISDIR)`,
    ]);
  });

  it('lists malformed lines of the blocklist file with their line numbers', () => {
    const file = blocklistFile(
      '# phishing\nphish.example\nhttps://bad.example/login\n\nok.example\n',
    );
    expect(problemsOf({ URL_BLOCKLIST_FILE: file, TRUST_PROXY: 'sometimes' })).toEqual([
      'URL_BLOCKLIST_FILE: line 3: "https://bad.example/login" is not a domain name or address',
      'TRUST_PROXY: expected false, true, a hop count or addresses',
    ]);
  });

  it('sums up a blocklist file with many bad lines after the first ten', () => {
    const file = blocklistFile(
      Array.from({ length: 25 }, (_, i) => `0.0.0.0 ads${i}.example`).join('\n'),
    );
    const problems = problemsOf({ URL_BLOCKLIST_FILE: file });
    expect(problems).toHaveLength(11);
    expect(problems[0]).toBe(
      'URL_BLOCKLIST_FILE: line 1: "0.0.0.0 ads0.example" is not a domain name or address',
    );
    expect(problems[10]).toBe(
      'URL_BLOCKLIST_FILE: and 15 more entries that are not domain names or addresses',
    );
  });

  it('carries the blocklist of both sources, normalised, each entry once', () => {
    const file = blocklistFile('# list\nphish.example\nBÜCHER.example # IDN\n*.Bad.Example.\n');
    const config = parseConfig({
      URL_BLOCKLIST: 'bad.example, 10.0.0.1',
      URL_BLOCKLIST_FILE: file,
    });
    expect(config.urlBlocklist).toEqual([
      'bad.example',
      '10.0.0.1',
      'phish.example',
      'xn--bcher-kva.example',
    ]);
    expect(parseConfig({}).urlBlocklist).toEqual([]);
  });
});
