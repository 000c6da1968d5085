import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';

/** The repository root. */
export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Node flags that run a TypeScript file of this repository (the bench's own baselines). */
export const TS_NODE_ARGS = ['--conditions=@switchboard/source', '--import', 'tsx'] as const;

/** A process under test: a Switchboard server or a bare baseline, listening on HTTP. */
export interface ServiceProcess {
  readonly name: string;
  readonly port: number;
  readonly baseUrl: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The last lines it printed on stdout and stderr. */
  readonly logs: string[];
  /** The DevTools address when started with `inspect: true`. */
  readonly inspectorUrl: string | null;
  /** Sends SIGTERM (or `signal`) and resolves with the exit code once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** How to start a service process. */
export interface ServiceOptions {
  readonly name: string;
  /** The script to run, absolute. */
  readonly script: string;
  readonly args?: readonly string[];
  /** Flags for node itself (e.g. `--cpu-prof`), before the script. */
  readonly nodeArgs?: readonly string[];
  /** The whole environment besides PATH and HOME: nothing else leaks in from this shell. */
  readonly env: Record<string, string>;
  /** Port to listen on (passed as PORT); a free one by default. */
  readonly port?: number;
  /** Path answered with 200 once the process can serve. */
  readonly readyPath?: string;
  /** Opens the inspector on a random loopback port, to force garbage collection. */
  readonly inspect?: boolean;
  readonly timeoutMs?: number;
}

const LOG_LINES_KEPT = 200;

/** A TCP port nobody listens on right now. */
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

/**
 * Waits until `condition` holds, checking every `intervalMs`; throws with `what` after
 * `timeoutMs`. The only way this harness waits: never a fixed sleep.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = 30_000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts a Node.js process with exactly `env` and resolves once `readyPath` answers 200. */
export async function startService(options: ServiceOptions): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const nodeArgs = [...(options.nodeArgs ?? [])];
  if (options.inspect) nodeArgs.push('--inspect=127.0.0.1:0');
  const child = spawn(process.execPath, [...nodeArgs, options.script, ...(options.args ?? [])], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ...options.env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let inspectorUrl: string | null = null;
  const keep = (line: string) => {
    logs.push(line);
    if (logs.length > LOG_LINES_KEPT) logs.shift();
    const debuggerLine = /Debugger listening on (ws:\/\/\S+)/.exec(line);
    if (debuggerLine) inspectorUrl = debuggerLine[1]!;
  };
  readline.createInterface({ input: child.stdout }).on('line', keep);
  readline.createInterface({ input: child.stderr }).on('line', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? null : -1))),
  );
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));

  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (exitCode !== undefined) {
          throw new Error(`${options.name} exited with ${exitCode}:\n${logs.join('\n')}`);
        }
        return (
          (await answers(`${baseUrl}${options.readyPath ?? '/healthz'}`)) &&
          (!options.inspect || inspectorUrl !== null)
        );
      },
      `${options.name} to answer on ${baseUrl}`,
      { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 50 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  if (child.pid === undefined) throw new Error(`${options.name} has no pid`);
  const pid = child.pid;
  return {
    name: options.name,
    port,
    baseUrl,
    pid,
    child,
    logs,
    get inspectorUrl() {
      return inspectorUrl;
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exitCode === undefined) child.kill(signal);
      return exited;
    },
  };
}

let clockTicks: number | undefined;

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSecondsOf(pid: number): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: count fields after its closing ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** Resident set size of a process in bytes, from /proc (Linux). */
export function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** CPU seconds the whole machine has been busy (all cores, all processes), from /proc/stat. */
export function machineBusySeconds(): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal ...: everything but idle and iowait.
  const [user, nice, system, , , irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (
    ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
    clockTicks
  );
}

/** What a `CpuMeter` measured, in cores (1.0 = one core busy the whole time). */
export interface CpuReading {
  /** Per process id. */
  readonly cores: ReadonlyMap<number, number>;
  /** The rest of the machine: other people's work, the noise in the figures. */
  readonly otherCores: number;
}

/**
 * Measures the CPU a set of processes uses between `start()` and `stop()`, and what the
 * rest of the machine used meanwhile, so that a reader can tell a quiet run from a
 * noisy one.
 */
export class CpuMeter {
  private startedAt = 0;
  private machineAtStart = 0;
  private readonly startSeconds = new Map<number, number>();

  constructor(private readonly pids: readonly number[]) {}

  /** Starts (or restarts) the measurement. */
  start(): void {
    this.startedAt = performance.now();
    this.machineAtStart = machineBusySeconds();
    for (const pid of this.pids) this.startSeconds.set(pid, cpuSecondsOf(pid));
  }

  /** The cores each process, and the rest of the machine, used since `start()`. */
  stop(): CpuReading {
    const elapsed = (performance.now() - this.startedAt) / 1000;
    const cores = new Map<number, number>();
    let ours = 0;
    for (const pid of this.pids) {
      const used = (cpuSecondsOf(pid) - (this.startSeconds.get(pid) ?? 0)) / elapsed;
      cores.set(pid, used);
      ours += used;
    }
    const machine = (machineBusySeconds() - this.machineAtStart) / elapsed;
    return { cores, otherCores: Math.max(0, machine - ours) };
  }
}
