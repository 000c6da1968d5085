import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

const PG = 'postgres://u@db/switchboard';

/** The problems `parseConfig` lists for `env`; fails when it accepts it. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe(`${parseConfig.name}: scale-out`, () => {
  it('builds a cluster from PostgreSQL, Redis and NATS', () => {
    const config = parseConfig({
      DATABASE_URL: PG,
      REDIS_URL: 'redis://:secret@cache:6380/2',
      NATS_URL: 'nats://bus-1:4222, nats://bus-2:4222',
      CLUSTER_NAME: 'prod-eu',
      NODE_ID: 'node-a',
      PRESENCE_TTL_MS: '9000',
    });
    expect(config.cluster).toEqual({
      name: 'prod-eu',
      nodeId: 'node-a',
      redis: { kind: 'standalone', url: 'redis://:secret@cache:6380/2' },
      nats: {
        servers: ['nats://bus-1:4222', 'nats://bus-2:4222'],
        user: undefined,
        pass: undefined,
        token: undefined,
      },
      natsReplicas: 1,
      presenceTtlMs: 9000,
    });
    expect(config.chatInbox).toEqual({ kind: 'database' });
  });

  it('gives each start its own node id when none is set', () => {
    const env = { DATABASE_URL: PG, REDIS_URL: 'redis://r', NATS_URL: 'nats://n:4222' };
    const a = parseConfig(env).cluster?.nodeId;
    const b = parseConfig(env).cluster?.nodeId;
    expect(a).toMatch(/^[0-9a-f]{10}$/);
    expect(a).not.toBe(b);
  });

  it('takes NATS credentials out of the URL, where the client does not read them', () => {
    const nats = parseConfig({
      DATABASE_URL: PG,
      REDIS_URL: 'redis://r',
      NATS_URL: 'nats://app:p%40ss@bus:4222,tls://bus-2:4443',
    }).cluster?.nats;
    expect(nats).toEqual({
      servers: ['nats://bus:4222', 'tls://bus-2:4443'],
      user: 'app',
      pass: 'p@ss',
      token: undefined,
    });
    const token = parseConfig({
      DATABASE_URL: PG,
      REDIS_URL: 'redis://r',
      NATS_URL: 's3cr3t@bus',
    }).cluster?.nats;
    expect(token).toMatchObject({ servers: ['nats://bus'], token: 's3cr3t' });
  });

  it('reaches Redis through Sentinels or a Redis Cluster', () => {
    const sentinel = parseConfig({
      DATABASE_URL: PG,
      REDIS_SENTINELS: 's1:26379, s2, [::1]:26380',
      REDIS_SENTINEL_NAME: 'main',
      REDIS_PASSWORD: 'pw',
      NATS_URL: 'nats://n',
    }).cluster?.redis;
    expect(sentinel).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'main',
      password: 'pw',
      tls: false,
    });
    const cluster = parseConfig({
      DATABASE_URL: PG,
      REDIS_CLUSTER_NODES: 'r1:7000,r2:7001',
      REDIS_TLS: 'true',
      NATS_URL: 'nats://n',
    }).cluster?.redis;
    expect(cluster).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'r1', port: 7000 },
        { host: 'r2', port: 7001 },
      ],
      password: undefined,
      tls: true,
    });
  });

  it('sizes the PostgreSQL pool when asked', () => {
    const env = { DATABASE_URL: PG, CLUSTER: 'false' };
    expect(parseConfig({ ...env, DATABASE_POOL_SIZE: '5' }).database).toEqual({
      kind: 'postgres',
      url: PG,
      poolSize: 5,
    });
    expect(parseConfig(env).database).toEqual({ kind: 'postgres', url: PG });
    expect(problemsOf({ ...env, DATABASE_POOL_SIZE: '0' })).toEqual([
      expect.stringMatching(/^DATABASE_POOL_SIZE/),
    ]);
  });

  it('refuses PostgreSQL without Redis and NATS unless CLUSTER=false', () => {
    const problems = problemsOf({ DATABASE_URL: PG });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^REDIS_URL: .*CLUSTER=false/);
    expect(problems[1]).toMatch(/^NATS_URL: .*CLUSTER=false/);
    expect(problemsOf({ DATABASE_URL: PG, REDIS_URL: 'redis://r' })).toEqual([
      expect.stringMatching(/^NATS_URL/),
    ]);
    expect(problemsOf({ DATABASE_URL: PG, NATS_URL: 'nats://n' })).toEqual([
      expect.stringMatching(/^REDIS_URL/),
    ]);
    const single = parseConfig({ DATABASE_URL: PG, CLUSTER: 'false' });
    expect(single.database.kind).toBe('postgres');
    expect(single.cluster).toBeNull();
  });

  it('refuses Redis or NATS on a single PostgreSQL node (CLUSTER=false)', () => {
    expect(
      problemsOf({ DATABASE_URL: PG, CLUSTER: 'false', REDIS_URL: 'redis://r', NATS_URL: 'n' }),
    ).toEqual([expect.stringMatching(/^REDIS_URL, NATS_URL: CLUSTER=false runs one node/)]);
  });

  it('refuses Redis, NATS or CLUSTER=true with SQLite, each node having its own file', () => {
    expect(problemsOf({ REDIS_URL: 'redis://r', NATS_URL: 'nats://n' })).toEqual([
      expect.stringMatching(/^REDIS_URL, NATS_URL: .*shared database/),
    ]);
    expect(problemsOf({ CLUSTER: 'true' })).toEqual([
      expect.stringMatching(/^CLUSTER=true needs a database the nodes share/),
    ]);
    expect(problemsOf({ DATABASE_URL: 'sqlite:/tmp/x.db', REDIS_SENTINELS: 's:1' })).toEqual([
      expect.stringMatching(/^REDIS_SENTINELS: /),
    ]);
    expect(parseConfig({ CLUSTER: 'false' }).cluster).toBeNull();
  });

  it('refuses two ways to reach Redis at once', () => {
    expect(
      problemsOf({
        DATABASE_URL: PG,
        REDIS_URL: 'redis://r',
        REDIS_CLUSTER_NODES: 'a:1',
        NATS_URL: 'nats://n',
      }),
    ).toEqual([expect.stringMatching(/^REDIS_URL, REDIS_CLUSTER_NODES: set only one/)]);
  });

  it('needs the master name with Sentinels, and nowhere else', () => {
    expect(problemsOf({ DATABASE_URL: PG, REDIS_SENTINELS: 's', NATS_URL: 'nats://n' })).toEqual([
      expect.stringMatching(/^REDIS_SENTINEL_NAME: required/),
    ]);
    expect(
      problemsOf({
        DATABASE_URL: PG,
        REDIS_URL: 'redis://r',
        REDIS_SENTINEL_NAME: 'm',
        NATS_URL: 'nats://n',
      }),
    ).toEqual([expect.stringMatching(/^REDIS_SENTINEL_NAME: only used with REDIS_SENTINELS/)]);
  });

  it('refuses a password or TLS flag beside a Redis URL, which carries its own', () => {
    expect(
      problemsOf({
        DATABASE_URL: PG,
        REDIS_URL: 'redis://r',
        REDIS_PASSWORD: 'x',
        NATS_URL: 'nats://n',
      }),
    ).toEqual([expect.stringMatching(/^REDIS_PASSWORD, REDIS_TLS: with REDIS_URL/)]);
  });

  it('lists every malformed address at once', () => {
    const problems = problemsOf({
      DATABASE_URL: PG,
      REDIS_CLUSTER_NODES: 'ok:7000,bad host,x:99999',
      NATS_URL: 'http://n:4222',
      CLUSTER_NAME: 'no.dots',
      NODE_ID: 'a b',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^CLUSTER_NAME: /),
        expect.stringMatching(/^NODE_ID: /),
      ]),
    );
    const addresses = problemsOf({
      DATABASE_URL: PG,
      REDIS_CLUSTER_NODES: 'ok:7000,bad host,x:99999',
      NATS_URL: 'http://n:4222',
    });
    expect(addresses).toEqual([
      expect.stringMatching(/^REDIS_CLUSTER_NODES: "bad host"/),
      expect.stringMatching(/^REDIS_CLUSTER_NODES: "x:99999"/),
      expect.stringMatching(/^NATS_URL: "http:\/\/n:4222"/),
    ]);
    expect(problemsOf({ DATABASE_URL: PG, REDIS_URL: 'http://r', NATS_URL: 'nats://n' })).toEqual([
      expect.stringMatching(/^REDIS_URL: expected redis:\/\//),
    ]);
  });

  it('reads the two stores of the mirrored inbox', () => {
    const config = parseConfig({
      DATABASE_URL: PG,
      REDIS_URL: 'redis://r',
      NATS_URL: 'nats://n',
      CHAT_INBOX_STORES: 'redis://inbox-a:6379,redis://inbox-b:6379',
    });
    expect(config.chatInbox).toEqual({
      kind: 'mirrored',
      stores: [
        { kind: 'redis', url: 'redis://inbox-a:6379' },
        { kind: 'redis', url: 'redis://inbox-b:6379' },
      ],
    });
  });

  it('refuses a mirrored inbox that is not two different stores on PostgreSQL', () => {
    const cluster = { DATABASE_URL: PG, REDIS_URL: 'redis://r', NATS_URL: 'nats://n' };
    expect(problemsOf({ ...cluster, CHAT_INBOX_STORES: 'redis://a' })).toEqual([
      expect.stringMatching(/^CHAT_INBOX_STORES: expected two stores, got 1/),
    ]);
    expect(problemsOf({ ...cluster, CHAT_INBOX_STORES: 'redis://a,redis://a' })).toEqual([
      expect.stringMatching(/must be different/),
    ]);
    expect(problemsOf({ ...cluster, CHAT_INBOX_STORES: 'redis://a,memcached://b' })).toEqual([
      expect.stringMatching(/"memcached:\/\/b" is not/),
    ]);
    expect(problemsOf({ ...cluster, CHAT_INBOX_STORES: 'redis://a,database' })).toEqual([
      expect.stringMatching(/two Redis servers, not the database/),
    ]);
    expect(problemsOf({ CHAT_INBOX_STORES: 'redis://a,redis://b' })).toEqual([
      expect.stringMatching(/needs DATABASE_URL=postgres/),
    ]);
  });
});
