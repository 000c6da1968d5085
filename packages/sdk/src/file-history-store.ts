import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { StoreWrite } from './history-store.js';
import { MemoryHistoryStore } from './memory-history-store.js';

/** Options of `FileHistoryStore.open`. */
export interface FileHistoryStoreOptions {
  /**
   * Flush every write to the disk before it resolves (default true), so that an
   * acknowledged message survives a power loss, not only a crash of the process.
   */
  readonly fsync?: boolean;
  /** Never compact a log smaller than this (default 4 MiB). */
  readonly compactMinBytes?: number;
}

const HEADER = { format: 'switchboard-history', version: 1 } as const;
const SNAPSHOT_CHUNK = 500;

type LogLine = { w: StoreWrite } | typeof HEADER;

/**
 * A history in one file for Node: append-only JSON lines, one per atomic write, replayed
 * into memory on open and compacted (a fresh file renamed over the old one) once the log
 * is twice the size of what it holds. A write resolves once its line is on disk, so a
 * client only acknowledges what survives a crash; a line torn by a crash is dropped
 * on the next open. A lock file keeps a second process from writing the same file.
 *
 * @example
 * import { FileHistoryStore } from '@switchboard/sdk/node';
 * const store = await FileHistoryStore.open('./alice.history.jsonl');
 */
export class FileHistoryStore extends MemoryHistoryStore {
  #handle: fsp.FileHandle;
  #size: number;
  #compactAt: number;
  #queue: Promise<void> = Promise.resolve();
  #closedFile = false;

  private constructor(
    readonly file: string,
    handle: fsp.FileHandle,
    size: number,
    private readonly options: Required<FileHistoryStoreOptions>,
  ) {
    super();
    this.#handle = handle;
    this.#size = size;
    this.#compactAt = Math.max(options.compactMinBytes, size * 2);
  }

  /** Opens (or creates) the history file at `file` and replays it. */
  static async open(
    file: string,
    options: FileHistoryStoreOptions = {},
  ): Promise<FileHistoryStore> {
    const resolved = path.resolve(file);
    await fsp.mkdir(path.dirname(resolved), { recursive: true });
    await acquireLock(resolved);
    try {
      const lines = await readLog(resolved);
      const handle = await fsp.open(resolved, 'a+', 0o600);
      let size = (await handle.stat()).size;
      if (lines.goodBytes < size) {
        // A crash tore the last line: cut it off so that the next line starts clean.
        await handle.truncate(lines.goodBytes);
        size = lines.goodBytes;
      }
      const store = new FileHistoryStore(resolved, handle, size, {
        fsync: options.fsync ?? true,
        compactMinBytes: options.compactMinBytes ?? 4 * 1024 * 1024,
      });
      for (const line of lines.entries) store.#replay(line);
      if (size === 0) await store.#append([HEADER]);
      return store;
    } catch (error) {
      await releaseLock(resolved);
      throw error;
    }
  }

  override write(changes: StoreWrite): Promise<void> {
    return this.#serial(async () => {
      const copy = structuredClone(changes);
      await this.#append([{ w: copy }]);
      this.apply(copy);
      if (this.#size >= this.#compactAt) await this.#compact();
    });
  }

  override clear(): Promise<void> {
    return this.#serial(async () => {
      await this.#handle.truncate(0);
      this.#size = 0;
      await this.#append([HEADER]);
      await super.clear();
    });
  }

  override close(): Promise<void> {
    return this.#serial(async () => {
      if (this.#closedFile) return;
      this.#closedFile = true;
      await this.#handle.close();
      await releaseLock(this.file);
      await super.close();
    });
  }

  /** Rewrites the log as the records it holds now; exposed for tests and tools. */
  compact(): Promise<void> {
    return this.#serial(() => this.#compact());
  }

  /** Size of the log file in bytes. */
  get sizeBytes(): number {
    return this.#size;
  }

  #serial(task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #replay(line: LogLine): void {
    if ('w' in line) this.apply(line.w);
  }

  async #append(lines: LogLine[]): Promise<void> {
    if (this.#closedFile) throw new Error('this history store is closed');
    const text = lines.map((line) => JSON.stringify(line) + '\n').join('');
    const bytes = Buffer.from(text, 'utf8');
    await this.#handle.write(bytes, 0, bytes.length, null);
    this.#size += bytes.length;
    if (this.options.fsync) await this.#handle.datasync();
  }

  async #compact(): Promise<void> {
    const snapshot = this.snapshot();
    const temp = `${this.file}.compact`;
    const out = await fsp.open(temp, 'w', 0o600);
    let size = 0;
    try {
      const write = async (line: LogLine) => {
        const bytes = Buffer.from(JSON.stringify(line) + '\n', 'utf8');
        await out.write(bytes, 0, bytes.length, null);
        size += bytes.length;
      };
      await write(HEADER);
      if (snapshot.syncState !== null) await write({ w: { syncState: snapshot.syncState } });
      for (let i = 0; i < snapshot.conversations.length; i += SNAPSHOT_CHUNK) {
        await write({ w: { conversations: snapshot.conversations.slice(i, i + SNAPSHOT_CHUNK) } });
      }
      for (let i = 0; i < snapshot.messages.length; i += SNAPSHOT_CHUNK) {
        await write({ w: { messages: snapshot.messages.slice(i, i + SNAPSHOT_CHUNK) } });
      }
      await out.sync();
    } finally {
      await out.close();
    }
    // The rename is atomic: a crash leaves either the old log or the new one, whole.
    await fsp.rename(temp, this.file);
    await syncDirectory(path.dirname(this.file));
    await this.#handle.close();
    this.#handle = await fsp.open(this.file, 'a+', 0o600);
    this.#size = size;
    this.#compactAt = Math.max(this.options.compactMinBytes, size * 2);
  }
}

async function readLog(file: string): Promise<{ entries: LogLine[]; goodBytes: number }> {
  let data: Buffer;
  try {
    data = await fsp.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], goodBytes: 0 };
    throw error;
  }
  const entries: LogLine[] = [];
  let start = 0;
  let lineNumber = 0;
  while (start < data.length) {
    const end = data.indexOf(0x0a, start);
    if (end === -1) break; // a torn last line: never acknowledged, dropped
    lineNumber += 1;
    const text = data.subarray(start, end).toString('utf8');
    let entry: LogLine;
    try {
      entry = JSON.parse(text) as LogLine;
    } catch {
      throw new Error(`${file}: line ${lineNumber} is not valid JSON; the history is damaged`);
    }
    if (lineNumber === 1) {
      if (!('format' in entry) || entry.format !== HEADER.format) {
        throw new Error(`${file} is not a Switchboard history file`);
      }
      if (entry.version !== HEADER.version) {
        throw new Error(`${file} has history format version ${String(entry.version)}`);
      }
    } else {
      entries.push(entry);
    }
    start = end + 1;
  }
  return { entries, goodBytes: start };
}

async function acquireLock(file: string): Promise<void> {
  const lock = `${file}.lock`;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await fsp.writeFile(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await fsp.readFile(lock, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new Error(`${file} is in use by process ${owner}`, { cause: error });
      }
      if (owner === process.pid) {
        throw new Error(`${file} is already open in this process`, { cause: error });
      }
      // The owner died without releasing it: the lock is stale.
      await fsp.rm(lock, { force: true });
    }
  }
  throw new Error(`could not lock ${file}`);
}

async function releaseLock(file: string): Promise<void> {
  await fsp.rm(`${file}.lock`, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Not every platform can fsync a directory (Windows); the rename is durable enough there.
  try {
    const handle = await fsp.open(dir, fs.constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // ignore: see above
  }
}
