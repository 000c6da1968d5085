import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/**
 * Starting, watching and stopping the cluster's processes. Each writes its output to a
 * file of its own; each is identified by its pid and by a piece of its command line,
 * so that `npm run cluster -- stop` from another shell never signals a process that
 * merely reused a pid.
 */

/** A process of the cluster, as recorded in the state file. */
export interface ProcessRecord {
  readonly role: 'node' | 'balancer' | 'inbox-redis' | 'engine';
  readonly name: string;
  readonly pid: number;
  /** A string in its command line or environment: checked before any signal is sent. */
  readonly marker: string;
  readonly logFile: string;
}

/** How to start one process. */
export interface SpawnLoggedOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** The complete environment (nothing leaks in from the caller's). */
  readonly env: Record<string, string>;
  readonly logFile: string;
  readonly cwd: string;
  /**
   * In a process group of its own: Ctrl-C in the terminal reaches only the script,
   * which stops everything in order, and `--detach` leaves it running.
   */
  readonly detached: boolean;
}

/** Starts a process whose stdout and stderr are appended to `logFile`. */
export function spawnLogged(options: SpawnLoggedOptions): ChildProcess {
  const fd = fs.openSync(options.logFile, 'a');
  try {
    const child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', fd, fd],
      detached: options.detached,
    });
    if (options.detached) child.unref();
    return child;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Resolves once `condition` holds, checking every `intervalMs`; throws `what` after
 * `timeoutMs`, with `explain()` added when given (a log tail, say). Never a fixed sleep.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  options: { timeoutMs?: number; intervalMs?: number; explain?: () => string } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) {
      const more = options.explain?.() ?? '';
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${more ? `\n${more}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/** True when `GET url` answers 200 within a second. */
export async function answersOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** A TCP port on loopback nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on `host:port`. */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(file: string, lines = 20): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** True while the process runs and is the one recorded (its command line has the marker). */
export function isRunning(record: Pick<ProcessRecord, 'pid' | 'marker'>): boolean {
  try {
    process.kill(record.pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped by its parent) has an empty command line.
  const read = (file: string) => {
    try {
      return fs.readFileSync(`/proc/${record.pid}/${file}`, 'utf8').replace(/\0/g, '\n');
    } catch {
      return '';
    }
  };
  return read('cmdline').includes(record.marker) || read('environ').includes(record.marker);
}

/**
 * Sends `signal` to a recorded process and waits for it to go; after `graceMs` it is
 * killed with SIGKILL. Resolves at once when it is not running (or is not ours).
 */
export async function stopProcess(
  record: Pick<ProcessRecord, 'pid' | 'marker' | 'name'>,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<'stopped' | 'killed' | 'not running'> {
  if (!isRunning(record)) return 'not running';
  try {
    process.kill(record.pid, signal);
  } catch {
    return 'not running';
  }
  try {
    await waitFor(() => !isRunning(record), `${record.name} to exit`, {
      timeoutMs: graceMs,
      intervalMs: 25,
    });
    return 'stopped';
  } catch {
    try {
      process.kill(record.pid, 'SIGKILL');
    } catch {
      // it exited between the check and the kill
    }
    await waitFor(() => !isRunning(record), `${record.name} to exit after SIGKILL`, {
      timeoutMs: 10_000,
      intervalMs: 25,
    });
    return 'killed';
  }
}

/** Resolves with a child's exit code (or -1 for a signal) once it has exited. */
export function exitOf(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(-1);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
}
