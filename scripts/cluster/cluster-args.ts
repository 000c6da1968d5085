import path from 'node:path';
import { parseArgs } from 'node:util';
import { CLUSTER_DEFAULTS, type ClusterOptions } from './cluster.js';

/** What `npm run cluster` was asked to do. */
export type ClusterCommand =
  | {
      readonly command: 'start';
      readonly options: Omit<ClusterOptions, 'log'>;
      readonly build: boolean;
      /** Return once the cluster is up, leaving it running. */
      readonly detach: boolean;
    }
  | { readonly command: 'stop' | 'status'; readonly dataDir: string }
  | { readonly command: 'haproxy-example' }
  | { readonly command: 'help' };

/** The command line's help. */
export const CLUSTER_USAGE = `usage: npm run cluster -- [start] [options]     start a cluster (Ctrl-C stops it)
       npm run cluster -- stop [--data-dir DIR]   stop a cluster started with --detach
       npm run cluster -- status [--data-dir DIR] its processes and what the balancer sees
       npm run cluster -- haproxy-example        print deploy/haproxy/haproxy.cfg

  --nodes N              Switchboard nodes (${CLUSTER_DEFAULTS.nodes})
  --port P               the balancer's port on 127.0.0.1 (${CLUSTER_DEFAULTS.port}); node i listens on P+i;
                         0 picks free ports
  --data-dir DIR         logs, node data, inbox AOF files, haproxy.cfg (data/cluster)
  --database-url URL     PostgreSQL database, created if missing
                         (${CLUSTER_DEFAULTS.databaseUrl})
  --redis-url URL        Redis for cache, presence, routing, rate limits (${CLUSTER_DEFAULTS.redisUrl})
  --nats-url URL         NATS with JetStream (${CLUSTER_DEFAULTS.natsUrl})
  --inbox-stores WHERE   chat inboxes: \`private\` (default) mirrors them on two private
                         redis-server processes with AOF in DIR/inbox-a and DIR/inbox-b;
                         \`database\` keeps them in PostgreSQL alone; or two stores A,B
                         (redis://... or database) to mirror them on
  --cluster-name NAME    prefix of Redis keys, NATS subjects and streams (${CLUSTER_DEFAULTS.clusterName})
  --env KEY=VALUE        more configuration for every node (repeatable)
  --detach               start, print the addresses and return; stop with \`stop\`
  --no-build             run the server as last built (default: tsc -b packages/server first)
  --no-install           fail instead of installing HAProxy with apt-get when it is missing
`;

const ENV_ENTRY = /^([A-Z][A-Z0-9_]*)=(.*)$/s;

function integer(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return n;
}

/** Parses the command line; throws with a one-line reason on anything it cannot use. */
export function parseClusterArgs(argv: readonly string[], cwd = process.cwd()): ClusterCommand {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      nodes: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
      'redis-url': { type: 'string' },
      'nats-url': { type: 'string' },
      'inbox-stores': { type: 'string' },
      'cluster-name': { type: 'string' },
      env: { type: 'string', multiple: true },
      detach: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      'no-install': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return { command: 'help' };
  if (positionals.length > 1) throw new Error(`unexpected ${positionals.slice(1).join(' ')}`);
  const command = positionals[0] ?? 'start';
  const dataDir = path.resolve(cwd, values['data-dir'] ?? CLUSTER_DEFAULTS.dataDir);
  if (command === 'stop' || command === 'status') return { command, dataDir };
  if (command === 'haproxy-example') return { command };
  if (command !== 'start') throw new Error(`unknown command ${JSON.stringify(command)}`);

  const nodes = integer('nodes', values.nodes, CLUSTER_DEFAULTS.nodes, 1);
  if (nodes > 64) throw new Error('--nodes must be at most 64');
  const port = integer('port', values.port, CLUSTER_DEFAULTS.port, 0);
  if (port !== 0 && port + nodes > 65_535) throw new Error('--port leaves no room for the nodes');

  let inboxStores: ClusterOptions['inboxStores'] = CLUSTER_DEFAULTS.inboxStores;
  const storesArg = values['inbox-stores'];
  if (storesArg === 'private' || storesArg === 'database') {
    inboxStores = storesArg;
  } else if (storesArg !== undefined) {
    const stores = storesArg.split(',').map((s) => s.trim());
    if (stores.length !== 2 || stores.some((s) => s === '')) {
      throw new Error('--inbox-stores takes `private`, `database`, or two stores, comma-separated');
    }
    inboxStores = [stores[0]!, stores[1]!];
  }
  const env: Record<string, string> = {};
  for (const entry of values.env ?? []) {
    const match = ENV_ENTRY.exec(entry);
    if (!match) throw new Error(`--env ${JSON.stringify(entry)}: expected KEY=VALUE`);
    env[match[1]!] = match[2]!;
  }
  const { log: _log, ...defaults } = CLUSTER_DEFAULTS;
  return {
    command: 'start',
    build: !values['no-build'],
    detach: values.detach,
    options: {
      ...defaults,
      nodes,
      port,
      dataDir,
      databaseUrl: values['database-url'] ?? CLUSTER_DEFAULTS.databaseUrl,
      redisUrl: values['redis-url'] ?? CLUSTER_DEFAULTS.redisUrl,
      natsUrl: values['nats-url'] ?? CLUSTER_DEFAULTS.natsUrl,
      inboxStores,
      clusterName: values['cluster-name'] ?? CLUSTER_DEFAULTS.clusterName,
      env,
      // Always a process group of their own: Ctrl-C reaches only the script, which
      // stops them in order.
      detached: true,
      installBalancer: !values['no-install'],
    },
  };
}
