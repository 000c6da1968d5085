import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { CLUSTER_USAGE, parseClusterArgs } from './cluster-args.js';
import {
  ROOT,
  readClusterState,
  startCluster,
  stopRecordedCluster,
  type LocalCluster,
} from './cluster.js';
import { PRODUCTION_EXAMPLE, renderHaproxyConfig } from './haproxy-config.js';
import { HaproxyAdmin } from './haproxy.js';
import { isRunning } from './processes.js';

/**
 * `npm run cluster`: a Switchboard cluster on loopback behind HAProxy, in this terminal
 * (Ctrl-C stops it) or detached (`--detach`, then `stop`). See scripts/cluster/cluster.ts.
 */

const log = (line: string) => process.stdout.write(`${line}\n`);

function relative(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

function describe(cluster: LocalCluster): string {
  const rows: [string, string, string][] = [
    ['balancer', cluster.balancerUrl, relative(path.join(cluster.dataDir, 'logs/haproxy.log'))],
    ...cluster.nodes.map((node): [string, string, string] => [
      node.name,
      node.url,
      relative(node.logFile),
    ]),
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const urlWidth = Math.max(...rows.map(([, url]) => url.length));
  return [
    `Switchboard cluster: ${cluster.nodes.length} node${cluster.nodes.length === 1 ? '' : 's'} behind HAProxy (no sticky sessions, health checks on /readyz)`,
    '',
    ...rows.map(
      ([name, url, file]) => `  ${name.padEnd(width)}  ${url.padEnd(urlWidth)}  log: ${file}`,
    ),
    '',
    `  inbox stores   ${cluster.inboxStores.length > 0 ? `${cluster.inboxStores.join(', ')} (mirrored)` : 'the database'}`,
    `  database       ${cluster.databaseUrl}`,
    `  cluster name   ${cluster.clusterName} (Redis keys, NATS subjects and streams)`,
    ...(cluster.statsUrl === null ? [] : [`  HAProxy stats  ${cluster.statsUrl}`]),
    '',
    `Open ${cluster.balancerUrl} (every request and WebSocket goes through the balancer).`,
  ].join('\n');
}

async function status(dataDir: string): Promise<number> {
  const state = readClusterState(dataDir);
  if (state === null) {
    log(`no cluster recorded in ${dataDir}`);
    return 1;
  }
  log(`cluster started ${state.startedAt}, balancer ${state.balancerUrl}`);
  for (const record of state.processes) {
    log(
      `  ${record.name.padEnd(10)} pid ${String(record.pid).padEnd(8)} ${isRunning(record) ? 'running' : 'NOT RUNNING'}  ${relative(record.logFile)}`,
    );
  }
  try {
    const servers = await new HaproxyAdmin(state.statsSocket).servers();
    log('the balancer sees:');
    for (const server of servers) {
      log(
        `  ${server.name.padEnd(10)} ${server.status.padEnd(10)} ${server.sessions} sessions open`,
      );
    }
  } catch (error) {
    log(`the balancer does not answer: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  return state.processes.every(isRunning) ? 0 : 1;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseClusterArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(
      `${error instanceof Error ? error.message : String(error)}\n\n${CLUSTER_USAGE}`,
    );
    return 2;
  }
  switch (parsed.command) {
    case 'help':
      log(CLUSTER_USAGE);
      return 0;
    case 'haproxy-example':
      process.stdout.write(renderHaproxyConfig(PRODUCTION_EXAMPLE));
      return 0;
    case 'status':
      return status(parsed.dataDir);
    case 'stop':
      if (!(await stopRecordedCluster(parsed.dataDir, log))) {
        log(`no cluster recorded in ${parsed.dataDir}`);
        return 1;
      }
      log('stopped');
      return 0;
    case 'start':
      break;
  }

  if (parsed.build) {
    log('building the server (tsc -b packages/server; --no-build skips this)');
    const build = spawnSync('npx', ['tsc', '-b', 'packages/server'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (build.status !== 0) return 1;
  }
  const cluster = await startCluster({ ...parsed.options, log });
  log(describe(cluster));
  if (parsed.detach) {
    log(
      `\nRunning in the background: npm run cluster -- stop --data-dir ${relative(cluster.dataDir)}`,
    );
    return 0;
  }
  log('Ctrl-C stops everything.');

  // Watch the nodes: one that exits on its own is reported (the balancer already
  // routes around it), not restarted, so that a crash is never hidden.
  const reported = new Set<string>();
  const watcher = setInterval(() => {
    for (const node of cluster.nodes) {
      if (node.process === null && !reported.has(node.name)) {
        reported.add(node.name);
        log(`${node.name} has exited: see ${relative(node.logFile)}`);
      }
    }
  }, 1000);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        log(`${signal} again: the processes get SIGKILL after their grace period`);
        return;
      }
      stopping = true;
      clearInterval(watcher);
      log(`\n${signal}: stopping the nodes (they drain), then the balancer and the inbox stores`);
      cluster.stop().then(
        () => {
          log('stopped');
          resolve(0);
        },
        (error: unknown) => {
          log(`error while stopping: ${error instanceof Error ? error.message : String(error)}`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGHUP', () => stop('SIGHUP'));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `cluster: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
