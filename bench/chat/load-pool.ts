import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { TS_NODE_ARGS } from '../lib/processes.js';
import type {
  CommandMessage,
  CommandName,
  Commands,
  EventMessage,
  ReplyMessage,
} from './load-protocol.js';

const WORKER_SCRIPT = path.join(import.meta.dirname, 'ws-load-worker.ts');

/** One load-generator process, driven by commands over IPC. */
export class LoadWorker {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private readonly listeners = new Set<(event: EventMessage) => void>();

  constructor(
    readonly index: number,
    readonly child: ChildProcess,
  ) {
    child.on('message', (message: ReplyMessage | EventMessage) => {
      if ('event' in message) {
        for (const listener of this.listeners) listener(message);
        return;
      }
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`load worker ${index}: ${message.error}`));
    });
    child.once('exit', (code) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`load worker ${index} exited with ${code}`));
      }
      this.pending.clear();
    });
  }

  /** The process id, for CPU accounting. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Sends a command and resolves with its answer. */
  call<K extends CommandName>(
    command: K,
    params: Commands[K]['params'],
  ): Promise<Commands[K]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const message: CommandMessage<K> = { id, command, params };
      this.child.send(message);
    });
  }

  /** Calls `listener` with every event; returns the function that stops it. */
  onEvent(listener: (event: EventMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Starts `count` load processes (TypeScript through tsx, like the coordinator). */
export function startLoadWorkers(count: number): LoadWorker[] {
  return Array.from({ length: count }, (_, index) => {
    const child = fork(WORKER_SCRIPT, [], {
      execArgv: [...TS_NODE_ARGS],
      env: { ...process.env, BENCH_WORKER_ID: String(index) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new LoadWorker(index, child);
  });
}

/** Ends the load processes (closing their IPC channel makes them exit). */
export async function stopLoadWorkers(workers: readonly LoadWorker[]): Promise<void> {
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.child.exitCode !== null || worker.child.signalCode !== null) return resolve();
          worker.child.once('exit', () => resolve());
          worker.child.disconnect();
        }),
    ),
  );
}
