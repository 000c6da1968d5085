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

const PG = 'postgres://u@db/switchboard';
/** The problem of a bad simple variable, set beside each rule between variables below. */
const CACHE_PROBLEM = expect.stringMatching(/^LINK_CACHE_SIZE: /);

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
      'TRUST_PROXY: expected false, true, a hop count or addresses',
      'URL_BLOCKLIST_FILE: line 3: "https://bad.example/login" is not a domain name or address',
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

describe(`${parseConfig.name}: every problem in one start`, () => {
  // Each rule between variables used to run only once every variable had passed the
  // schema, so that LINK_CACHE_SIZE=-1 hid it until it was fixed. Problems are listed
  // by the schema in its order, then the blocklist's, then the scale-out rules'.
  const BAD_CACHE = { LINK_CACHE_SIZE: '-1' };
  it.each<[string, Record<string, string>, unknown[]]>([
    [
      'an unreadable TRUST_PROXY',
      { TRUST_PROXY: 'sometimes' },
      ['TRUST_PROXY: expected false, true, a hop count or addresses', CACHE_PROBLEM],
    ],
    [
      "DATABASE_URL's scheme",
      { DATABASE_URL: 'mysql://x' },
      ['DATABASE_URL: must start with postgres://, postgresql:// or sqlite:', CACHE_PROBLEM],
    ],
    [
      'PUBLIC_URL with a path',
      { PUBLIC_URL: 'https://sb.example/x' },
      ['PUBLIC_URL: must be an origin without a path, query or fragment', CACHE_PROBLEM],
    ],
    [
      'CLUSTER=true on SQLite',
      { CLUSTER: 'true' },
      [CACHE_PROBLEM, expect.stringMatching(/^CLUSTER=true needs a database the nodes share/)],
    ],
    [
      'Redis and NATS on SQLite',
      { REDIS_URL: 'redis://r', NATS_URL: 'nats://n' },
      [CACHE_PROBLEM, expect.stringMatching(/^REDIS_URL, NATS_URL: .*shared database/)],
    ],
    [
      'a mirrored inbox on SQLite',
      { CHAT_INBOX_STORES: 'redis://a,redis://b' },
      [CACHE_PROBLEM, expect.stringMatching(/^CHAT_INBOX_STORES: .*needs DATABASE_URL=postgres/)],
    ],
    [
      'PostgreSQL without Redis and NATS',
      { DATABASE_URL: PG },
      [
        CACHE_PROBLEM,
        expect.stringMatching(/^REDIS_URL: PostgreSQL runs as a cluster/),
        expect.stringMatching(/^NATS_URL: PostgreSQL runs as a cluster/),
      ],
    ],
    [
      'Redis on a single PostgreSQL node',
      { DATABASE_URL: PG, CLUSTER: 'false', REDIS_URL: 'redis://r' },
      [CACHE_PROBLEM, expect.stringMatching(/^REDIS_URL: CLUSTER=false runs one node/)],
    ],
    [
      'two ways to reach Redis',
      { DATABASE_URL: PG, REDIS_URL: 'redis://r', REDIS_CLUSTER_NODES: 'a:1', NATS_URL: 'n' },
      [CACHE_PROBLEM, expect.stringMatching(/^REDIS_URL, REDIS_CLUSTER_NODES: set only one/)],
    ],
    [
      'Sentinels without a master name',
      { DATABASE_URL: PG, REDIS_SENTINELS: 's', NATS_URL: 'n' },
      [CACHE_PROBLEM, expect.stringMatching(/^REDIS_SENTINEL_NAME: required/)],
    ],
    [
      'a master name without Sentinels',
      { DATABASE_URL: PG, REDIS_URL: 'redis://r', REDIS_SENTINEL_NAME: 'm', NATS_URL: 'n' },
      [CACHE_PROBLEM, expect.stringMatching(/^REDIS_SENTINEL_NAME: only used with/)],
    ],
    [
      'a password beside REDIS_URL',
      { DATABASE_URL: PG, REDIS_URL: 'redis://r', REDIS_PASSWORD: 'x', NATS_URL: 'n' },
      [CACHE_PROBLEM, expect.stringMatching(/^REDIS_PASSWORD, REDIS_TLS: with REDIS_URL/)],
    ],
    [
      'malformed Redis and NATS addresses',
      { DATABASE_URL: PG, REDIS_CLUSTER_NODES: 'bad host', NATS_URL: 'http://n:4222' },
      [
        CACHE_PROBLEM,
        'REDIS_CLUSTER_NODES: "bad host" is not host:port',
        'NATS_URL: "http://n:4222" is not nats://host:port or tls://host:port',
      ],
    ],
    [
      'a mirrored inbox of one store',
      { DATABASE_URL: PG, REDIS_URL: 'redis://r', NATS_URL: 'n', CHAT_INBOX_STORES: 'redis://a' },
      [CACHE_PROBLEM, 'CHAT_INBOX_STORES: expected two stores, got 1'],
    ],
  ])('lists %s beside LINK_CACHE_SIZE=-1', (_, env, expected) => {
    expect(problemsOf({ ...env, ...BAD_CACHE })).toEqual(expected);
  });

  it('skips a rule whose input failed its own check, rather than guess it', () => {
    // A database it cannot use is neither SQLite nor PostgreSQL: no Redis or NATS is asked for.
    expect(problemsOf({ DATABASE_URL: 'mysql://x' })).toEqual([
      'DATABASE_URL: must start with postgres://, postgresql:// or sqlite:',
    ]);
    // Nor on PostgreSQL when CLUSTER cannot be read; the inbox's own rules still run.
    expect(
      problemsOf({ DATABASE_URL: PG, CLUSTER: 'maybe', CHAT_INBOX_STORES: 'redis://a' }),
    ).toEqual([
      expect.stringMatching(/^CLUSTER: /),
      'CHAT_INBOX_STORES: expected two stores, got 1',
    ]);
    // Redis on SQLite is refused whatever CLUSTER says.
    expect(problemsOf({ CLUSTER: 'maybe', REDIS_URL: 'redis://r' })).toEqual([
      expect.stringMatching(/^CLUSTER: /),
      expect.stringMatching(/^REDIS_URL: Redis and NATS are for several nodes/),
    ]);
    // An unreadable REDIS_TLS is not taken for a TLS flag beside REDIS_URL; a password is.
    const cluster = { DATABASE_URL: PG, REDIS_URL: 'redis://r', NATS_URL: 'nats://n' };
    expect(problemsOf({ ...cluster, REDIS_TLS: 'maybe' })).toEqual([
      expect.stringMatching(/^REDIS_TLS: /),
    ]);
    expect(problemsOf({ ...cluster, REDIS_TLS: 'maybe', REDIS_PASSWORD: 'x' })).toEqual([
      expect.stringMatching(/^REDIS_TLS: /),
      expect.stringMatching(/^REDIS_PASSWORD, REDIS_TLS: with REDIS_URL/),
    ]);
    // A public URL that is not a URL has no path to complain about.
    expect(problemsOf({ PUBLIC_URL: 'ftp://sb.example/x' })).toEqual([
      expect.stringMatching(/^PUBLIC_URL: /),
    ]);
  });
});
