import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { spawnLogged, tail, waitFor, type ProcessRecord } from './processes.js';

/** The oldest HAProxy whose configuration syntax the cluster uses (`http-check send`). */
const MIN_VERSION = [2, 2] as const;

const CANDIDATES = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy'];

function onPath(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && fs.existsSync(`${dir}/haproxy`)) return `${dir}/haproxy`;
  }
  return CANDIDATES.find((file) => fs.existsSync(file)) ?? null;
}

/** The version `haproxy -v` prints, as [major, minor, patch]. */
export function parseHaproxyVersion(text: string): [number, number, number] | null {
  const match = /HAProxy version (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

/**
 * The HAProxy binary, installed from Debian when missing and `install` allows it
 * (`apt-get update` then `apt-get install -y haproxy`, which needs root).
 */
export function findHaproxy(install: boolean, log: (line: string) => void): string {
  let binary = onPath();
  if (binary === null) {
    if (!install) {
      throw new Error(
        'haproxy is not installed: apt-get install -y haproxy (or drop --no-install)',
      );
    }
    if (process.getuid?.() !== 0) {
      throw new Error(
        'haproxy is not installed and installing it needs root: sudo apt-get install -y haproxy',
      );
    }
    log('haproxy is not installed: apt-get update && apt-get install -y haproxy');
    for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'haproxy']]) {
      const result = spawnSync('apt-get', args, {
        stdio: 'inherit',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
      if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed`);
    }
    binary = onPath();
    if (binary === null) throw new Error('haproxy is still missing after apt-get install');
  }
  const version = parseHaproxyVersion(execFileSync(binary, ['-v'], { encoding: 'utf8' }));
  if (
    version === null ||
    version[0] < MIN_VERSION[0] ||
    (version[0] === MIN_VERSION[0] && version[1] < MIN_VERSION[1])
  ) {
    throw new Error(
      `${binary} is version ${version?.join('.') ?? 'unknown'}: the cluster needs HAProxy ${MIN_VERSION.join('.')} or later`,
    );
  }
  return binary;
}

/** Checks a configuration file (`haproxy -c`); throws with HAProxy's own message. */
export function checkHaproxyConfig(binary: string, file: string): void {
  const result = spawnSync(binary, ['-c', '-q', '-f', file], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`haproxy refuses ${file}:\n${result.stderr}${result.stdout}`);
  }
}

/** How to start the balancer. */
export interface BalancerOptions {
  readonly binary: string;
  readonly configFile: string;
  readonly statsSocket: string;
  readonly logFile: string;
  readonly detached: boolean;
  readonly cwd: string;
}

/** Starts HAProxy in the foreground of its own process and waits for its admin socket. */
export async function startBalancer(options: BalancerOptions): Promise<ProcessRecord> {
  checkHaproxyConfig(options.binary, options.configFile);
  fs.rmSync(options.statsSocket, { force: true });
  const child = spawnLogged({
    command: options.binary,
    // -db: stay in the foreground (the script or the test supervises it).
    args: ['-db', '-f', options.configFile],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    logFile: options.logFile,
    cwd: options.cwd,
    detached: options.detached,
  });
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  const admin = new HaproxyAdmin(options.statsSocket);
  await waitFor(
    async () => {
      if (exited !== null) {
        throw new Error(`haproxy exited with ${exited}:\n${tail(options.logFile)}`);
      }
      return admin.answers();
    },
    'haproxy to open its admin socket',
    { timeoutMs: 15_000, explain: () => tail(options.logFile) },
  );
  if (child.pid === undefined) throw new Error('haproxy has no pid');
  return {
    role: 'balancer',
    name: 'haproxy',
    pid: child.pid,
    marker: options.configFile,
    logFile: options.logFile,
  };
}

/** A server of the backend as HAProxy sees it. */
export interface ServerState {
  readonly name: string;
  /** `UP`, `DOWN`, `MAINT`, `UP 1/2` (going down), `DOWN 1/2` (coming up), `no check`... */
  readonly status: string;
  /** Sessions open now (an open WebSocket is one). */
  readonly sessions: number;
  /** Sessions since the start. */
  readonly totalSessions: number;
}

/** HAProxy's admin socket: runtime state and commands (`show stat`, `disable server`). */
export class HaproxyAdmin {
  constructor(readonly socketPath: string) {}

  /** Sends one command and answers HAProxy's reply. */
  command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.socketPath);
      let reply = '';
      socket.setTimeout(5_000);
      socket.once('connect', () => socket.write(`${line}\n`));
      socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
      socket.once('end', () => resolve(reply));
      socket.once('timeout', () => {
        socket.destroy();
        reject(new Error(`haproxy admin socket: no answer to ${line}`));
      });
      socket.once('error', reject);
    });
  }

  /** True once the socket answers. */
  async answers(): Promise<boolean> {
    try {
      return (await this.command('show info')).includes('Name: HAProxy');
    } catch {
      return false;
    }
  }

  /** The servers of `backend`, from `show stat`. */
  async servers(backend = 'switchboard_nodes'): Promise<ServerState[]> {
    const csv = await this.command('show stat');
    const [header, ...rows] = csv.trim().split('\n');
    const columns = (header ?? '').replace(/^# /, '').split(',');
    const at = (name: string) => columns.indexOf(name);
    const [px, sv, st, scur, stot] = ['pxname', 'svname', 'status', 'scur', 'stot'].map(at);
    if ([px, sv, st, scur, stot].some((i) => i === undefined || i < 0)) {
      throw new Error(`unexpected show stat header: ${header}`);
    }
    return rows
      .map((row) => row.split(','))
      .filter((cells) => cells[px!] === backend && !['FRONTEND', 'BACKEND'].includes(cells[sv!]!))
      .map((cells) => ({
        name: cells[sv!]!,
        status: cells[st!]!,
        sessions: Number(cells[scur!]),
        totalSessions: Number(cells[stot!]),
      }));
  }
}
