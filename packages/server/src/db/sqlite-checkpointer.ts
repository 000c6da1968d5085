import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import type { Logger } from '../logger.js';

/** WAL frames not yet copied into the database file before a checkpoint runs (SQLite's default). */
const CHECKPOINT_FRAMES = 1_000;
/** How often the worker looks at the WAL. */
const POLL_MS = 50;
/** The WAL size that shows the database is written to enough to be worth a thread. */
const START_WAL_BYTES = 4 * 1024 * 1024;
/** How often the connection's WAL size is looked at until then. */
const START_CHECK_MS = 1_000;

/**
 * The worker, as CommonJS source (it runs from the build and from the TypeScript
 * sources alike). It watches the WAL through the wal-index header in the `-shm` file
 * (https://www.sqlite.org/walformat.html: `mxFrame` at byte 16, the first `nBackfill`
 * at byte 96, native byte order) and runs a PASSIVE checkpoint, which waits for no
 * reader or writer, once enough frames wait; if the header cannot be read it simply
 * checkpoints every poll.
 */
const WORKER_SOURCE = `
const fs = require('node:fs');
const os = require('node:os');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
let shm = null;
const header = Buffer.alloc(100);
function pending() {
  try {
    if (shm === null) shm = fs.openSync(workerData.file + '-shm', 'r');
    if (fs.readSync(shm, header, 0, 100, 0) < 100) return Infinity;
    const le = os.endianness() === 'LE';
    const mxFrame = le ? header.readUInt32LE(16) : header.readUInt32BE(16);
    const backfill = le ? header.readUInt32LE(96) : header.readUInt32BE(96);
    return mxFrame - backfill;
  } catch {
    return Infinity;
  }
}
const timer = setInterval(() => {
  if (pending() < workerData.frames) return;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
}, workerData.pollMs);
parentPort.postMessage({ ready: true });
parentPort.on('message', () => {
  clearInterval(timer);
  if (shm !== null) fs.closeSync(shm);
  db.close();
  parentPort.close();
});
`;

/**
 * Runs an SQLite connection's WAL checkpoints on a worker thread.
 *
 * With `synchronous = NORMAL` a commit writes to the WAL without waiting for the disk,
 * but the checkpoint that SQLite runs inside whichever commit pushes the WAL past 1,000
 * pages copies them into the database file and waits for two fsyncs, on the event
 * loop: on a busy disk, tens of milliseconds during which no request is answered. Here
 * a second connection on a worker thread does the same checkpoints (same threshold,
 * PASSIVE, so it never blocks a writer) and the main connection stops running them.
 * The thread starts only once the WAL has grown past a few megabytes, so that small
 * databases (tests, a quiet server) never pay for it; if it fails, the connection
 * checkpoints for itself again.
 */
export class SqliteCheckpointer {
  #worker: Worker | null = null;
  #watch: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(
    private readonly sqlite: BetterSqlite3.Database,
    private readonly file: string,
    private readonly logger: Logger,
  ) {
    this.#watch = setInterval(() => this.#maybeStart(), START_CHECK_MS);
    this.#watch.unref();
  }

  /** Whether the worker is doing the checkpoints (for tests). */
  get running(): boolean {
    return this.#worker !== null;
  }

  #maybeStart(): void {
    let size: number;
    try {
      size = fs.statSync(`${this.file}-wal`).size;
    } catch {
      return;
    }
    if (size >= START_WAL_BYTES) this.start();
  }

  /** Starts the worker now (it otherwise starts once the WAL has grown). */
  start(): void {
    if (this.#worker !== null || this.#stopped) return;
    if (this.#watch !== null) clearInterval(this.#watch);
    this.#watch = null;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        module: createRequire(import.meta.url).resolve('better-sqlite3'),
        file: this.file,
        frames: CHECKPOINT_FRAMES,
        pollMs: POLL_MS,
      },
    });
    worker.unref();
    this.#worker = worker;
    worker.on('message', (message: { ready?: true; error?: string }) => {
      if (message.ready === true && this.#worker === worker) {
        this.sqlite.pragma('wal_autocheckpoint = 0');
      } else if (message.error !== undefined) {
        this.logger.warn({ error: message.error }, 'sqlite: a WAL checkpoint failed');
      }
    });
    const fallBack = (error?: unknown) => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      this.#stopped = true;
      if (this.sqlite.open) this.sqlite.pragma(`wal_autocheckpoint = ${CHECKPOINT_FRAMES}`);
      if (error !== undefined) {
        this.logger.warn(
          { err: error },
          'sqlite: the checkpoint thread stopped; checkpointing inline',
        );
      }
    };
    worker.on('error', fallBack);
    worker.on('exit', (code) => fallBack(code === 0 ? undefined : new Error(`exit code ${code}`)));
  }

  /** Stops the worker and gives the checkpoints back to the connection. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#watch !== null) clearInterval(this.#watch);
    this.#watch = null;
    const worker = this.#worker;
    if (worker === null) return;
    this.#worker = null;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('stop');
    await exited;
    if (this.sqlite.open) this.sqlite.pragma(`wal_autocheckpoint = ${CHECKPOINT_FRAMES}`);
  }
}
