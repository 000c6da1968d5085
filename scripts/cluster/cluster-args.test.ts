import { describe, expect, it } from 'vitest';
import { parseClusterArgs } from './cluster-args.js';
import { CLUSTER_DEFAULTS } from './cluster.js';

const { log: _log, ...defaults } = CLUSTER_DEFAULTS;

describe(parseClusterArgs.name, () => {
  it('starts three nodes on port 8080 by default, building first, in the foreground', () => {
    const parsed = parseClusterArgs([], '/repo');
    expect(parsed).toMatchObject({ command: 'start', build: true, detach: false });
    if (parsed.command !== 'start') throw new Error('expected start');
    expect(parsed.options).toMatchObject({
      nodes: 3,
      port: 8080,
      inboxStores: 'private',
      databaseUrl: CLUSTER_DEFAULTS.databaseUrl,
      detached: true,
    });
  });

  it('takes every option', () => {
    const parsed = parseClusterArgs(
      [
        'start',
        '--nodes',
        '5',
        '--port',
        '0',
        '--data-dir',
        'tmp/c',
        '--database-url',
        'postgres://u@db/sb',
        '--redis-url',
        'redis://r:6380',
        '--nats-url',
        'nats://n:4223',
        '--inbox-stores',
        'redis://a:1, redis://b:2',
        '--cluster-name',
        'c1',
        '--env',
        'LOG_LEVEL=debug',
        '--env',
        'URL_BLOCKLIST=a.example,b.example',
        '--detach',
        '--no-build',
        '--no-install',
      ],
      '/repo',
    );
    expect(parsed).toEqual({
      command: 'start',
      build: false,
      detach: true,
      options: {
        ...defaults,
        nodes: 5,
        port: 0,
        dataDir: '/repo/tmp/c',
        databaseUrl: 'postgres://u@db/sb',
        redisUrl: 'redis://r:6380',
        natsUrl: 'nats://n:4223',
        inboxStores: ['redis://a:1', 'redis://b:2'],
        clusterName: 'c1',
        env: { LOG_LEVEL: 'debug', URL_BLOCKLIST: 'a.example,b.example' },
        detached: true,
        installBalancer: false,
      },
    });
  });

  it('keeps inboxes in the database alone when asked', () => {
    const parsed = parseClusterArgs(['--inbox-stores', 'database']);
    expect(parsed.command === 'start' && parsed.options.inboxStores).toBe('database');
  });

  it('answers stop and status with the data directory', () => {
    expect(parseClusterArgs(['stop', '--data-dir', 'x'], '/repo')).toEqual({
      command: 'stop',
      dataDir: '/repo/x',
    });
    expect(parseClusterArgs(['status'], '/repo')).toEqual({
      command: 'status',
      dataDir: CLUSTER_DEFAULTS.dataDir,
    });
  });

  it('refuses what it cannot use, with the reason', () => {
    expect(() => parseClusterArgs(['--nodes', '0'])).toThrow(/--nodes must be an integer ≥ 1/);
    expect(() => parseClusterArgs(['--nodes', '65'])).toThrow(/at most 64/);
    expect(() => parseClusterArgs(['--nodes', 'three'])).toThrow(/--nodes/);
    expect(() => parseClusterArgs(['--port', '65530', '--nodes', '9'])).toThrow(/no room/);
    expect(() => parseClusterArgs(['--inbox-stores', 'redis://a:1'])).toThrow(/two stores/);
    expect(() => parseClusterArgs(['--env', 'lower=1'])).toThrow(/KEY=VALUE/);
    expect(() => parseClusterArgs(['restart'])).toThrow(/unknown command/);
    expect(() => parseClusterArgs(['--bogus'])).toThrow();
  });
});
