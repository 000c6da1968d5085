import { randomUUID } from 'node:crypto';
import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { ClickStore, LinkClicks, StoredClickStats } from '../../domains/links/click-store.js';
import type { Logger } from '../../logger.js';
import type { KyselyLinkClickStore } from '../sql/kysely-link-click-store.js';
import { isForeignKeyViolation } from '../sql/sql-errors.js';
import { ensureConsumer, ensureStream, nanos } from './nats-connection.js';

/** Settings of the click stream. */
export interface NatsClickStreamOptions {
  /** Prefix of the stream and subject (`CLUSTER_NAME`). */
  readonly prefix: string;
  readonly logger: Logger;
  /** Copies JetStream keeps of each batch. */
  readonly replicas?: number;
}

/** One message of the stream: a part of a node's flush, with the id that makes it count once. */
interface ClickBatchMessage {
  readonly batchId: string;
  readonly links: readonly LinkClicks[];
}

/** Batches older than this are dropped by the stream, and their ids forgotten by the database. */
const MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
const DUPLICATE_WINDOW_MS = 2 * 60_000;
/** A message stays well under NATS's default 1 MB payload limit. */
const MAX_MESSAGE_BYTES = 256 * 1024;
const PUBLISH_ATTEMPTS = 2;
/** Messages a writer takes at once (written one after the other). */
const WRITER_BATCH = 16;
const ACK_WAIT_MS = 30_000;

/** The names of a cluster's click stream, subject and durable consumer. */
export function clickStreamNames(prefix: string) {
  return { stream: `${prefix}_clicks`, subject: `${prefix}.clicks.batches`, consumer: 'writers' };
}

/** Creates (or updates) the stream and its consumer; every node calls it at start. */
export async function prepareClickStream(
  nc: NatsConnection,
  options: NatsClickStreamOptions,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const names = clickStreamNames(options.prefix);
  await ensureStream(jsm, {
    name: names.stream,
    subjects: [names.subject],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: options.replicas ?? 1,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    max_age: nanos(MAX_AGE_MS),
  });
  await ensureConsumer(jsm, names.stream, {
    durable_name: names.consumer,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ACK_WAIT_MS),
    max_deliver: -1,
    max_ack_pending: 10_000,
  });
}

/** Splits a flush into messages under the size limit, a link's rows spread if need be. */
export function splitBatch(batch: readonly LinkClicks[], maxBytes: number): LinkClicks[][] {
  const parts: LinkClicks[][] = [];
  let current: LinkClicks[] = [];
  let size = 0;
  const push = (links: LinkClicks, bytes: number) => {
    if (size + bytes > maxBytes && current.length > 0) {
      parts.push(current);
      current = [];
      size = 0;
    }
    current.push(links);
    size += bytes;
  };
  for (const links of batch) {
    const bytes = JSON.stringify(links).length;
    if (bytes <= maxBytes) {
      push(links, bytes);
      continue;
    }
    // One link with more rows than fit: its total goes with the first share only.
    let rows: LinkClicks['rows'][number][] = [];
    let rowBytes = 0;
    let first = true;
    const flushRows = () => {
      push({ linkId: links.linkId, uncounted: first ? links.uncounted : 0, rows }, rowBytes);
      first = false;
      rows = [];
      rowBytes = 0;
    };
    for (const row of links.rows) {
      const bytes = JSON.stringify(row).length + 1;
      if (rowBytes + bytes > maxBytes - 200 && rows.length > 0) flushRows();
      rows.push(row);
      rowBytes += bytes;
    }
    if (rows.length > 0 || first) flushRows();
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/**
 * The click store of a cluster node: a flush is published to a JetStream stream
 * (each part with its own id in `Nats-Msg-Id`, so a publish retried after a lost
 * answer is stored once) instead of being written by this node; a writer on some
 * node writes it to the database (`NatsClickWriter`). Stats are read from the
 * database as usual.
 *
 * A part that cannot be published stays in this node's outbox and is retried with
 * the same id, rather than handed back to the aggregator, which would merge it into
 * its next flush under a new id and count any part that did go out twice.
 */
export class NatsClickStore implements ClickStore {
  readonly #js: JetStreamClient;
  readonly #subject: string;
  readonly #encoder = new TextEncoder();
  readonly #outbox: Array<{ message: ClickBatchMessage; bytes: Uint8Array }> = [];
  #sending: Promise<boolean> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(
    nc: NatsConnection,
    private readonly database: KyselyLinkClickStore,
    private readonly options: NatsClickStreamOptions,
  ) {
    // Short: a publish that timed out is retried under its id, which JetStream de-duplicates.
    this.#js = jetstream(nc, { timeout: 2_000 });
    this.#subject = clickStreamNames(options.prefix).subject;
  }

  async addClicks(batch: readonly LinkClicks[]): Promise<void> {
    if (batch.length === 0) return;
    const batchId = randomUUID();
    splitBatch(batch, MAX_MESSAGE_BYTES).forEach((links, i) => {
      const message: ClickBatchMessage = { batchId: `${batchId}:${i}`, links };
      this.#outbox.push({ message, bytes: this.#encoder.encode(JSON.stringify(message)) });
    });
    await this.#send();
  }

  statsOf(linkId: string, fromDay: number, limit: number): Promise<StoredClickStats> {
    return this.database.statsOf(linkId, fromDay, limit);
  }

  /** Parts waiting for NATS (for tests and metrics). */
  get unsent(): number {
    return this.#outbox.length;
  }

  /** Publishes what is left, trying until `deadlineMs` has passed; logs what could not go. */
  async close(deadlineMs = 5_000): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    const end = Date.now() + deadlineMs;
    while (this.#outbox.length > 0 && Date.now() < end) {
      if (await this.#send()) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (this.#outbox.length > 0) {
      const clicks = this.#outbox
        .flatMap((o) => o.message.links)
        .reduce((n, l) => n + l.rows.reduce((m, r) => m + r.clicks, 0), 0);
      this.options.logger.error(
        { parts: this.#outbox.length, clicks },
        'clicks could not be published at shutdown',
      );
    }
  }

  /** Publishes the outbox in order; true once it is empty. One run at a time. */
  #send(): Promise<boolean> {
    this.#sending ??= this.#sendAll().finally(() => {
      this.#sending = null;
    });
    return this.#sending;
  }

  async #sendAll(): Promise<boolean> {
    while (this.#outbox.length > 0) {
      const { message, bytes } = this.#outbox[0]!;
      let sent = false;
      for (let attempt = 1; attempt <= PUBLISH_ATTEMPTS && !sent; attempt++) {
        try {
          await this.#js.publish(this.#subject, bytes, { msgID: message.batchId });
          sent = true;
        } catch (error) {
          if (attempt === PUBLISH_ATTEMPTS) {
            this.options.logger.warn(
              { err: error, waiting: this.#outbox.length },
              'clicks: the stream is not answering; keeping the batches to retry',
            );
          }
        }
      }
      if (!sent) {
        this.#retryLater();
        return false;
      }
      this.#outbox.shift();
    }
    return true;
  }

  #retryLater(): void {
    if (this.#closed || this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#send();
    }, 1_000);
    this.#timer.unref();
  }
}

/**
 * Writes the click stream to the database: every node that serves links runs one,
 * all on one durable consumer, so each batch goes to one of them. A batch is written
 * in one transaction with its id in `link_click_batches`; a batch delivered again
 * (its ack was lost, its writer died after the commit) finds its id there and is only
 * acknowledged, so every click is counted exactly once. A failed write is retried
 * later (`nak` with a delay): nothing leaves the stream before it is written.
 */
export class NatsClickWriter {
  readonly #js: JetStreamClient;
  readonly #names: ReturnType<typeof clickStreamNames>;
  #running: Promise<void> | null = null;
  #pull: ConsumerMessages | null = null;
  #stopped = false;
  #sweepTimer: NodeJS.Timeout | null = null;
  /** Batches written by this node (metrics, tests). */
  written = 0;
  /** Batches found already written (redeliveries). */
  duplicates = 0;

  constructor(
    nc: NatsConnection,
    private readonly db: Kysely<Database>,
    private readonly store: KyselyLinkClickStore,
    private readonly options: NatsClickStreamOptions,
  ) {
    this.#js = jetstream(nc, { timeout: 5_000 });
    this.#names = clickStreamNames(options.prefix);
  }

  start(): void {
    if (this.#running !== null) return;
    this.#stopped = false;
    this.#running = this.#loop();
    this.#sweepTimer = setInterval(() => void this.#sweep(), 60 * 60 * 1000);
    this.#sweepTimer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#sweepTimer !== null) clearInterval(this.#sweepTimer);
    this.#pull?.stop();
    await this.#running;
    this.#running = null;
  }

  /** Resolves once every batch in the stream is written (for tests and shutdown). */
  async drained(): Promise<void> {
    const consumer = await this.#js.consumers.get(this.#names.stream, this.#names.consumer);
    for (;;) {
      const info = await consumer.info();
      if (info.num_pending === 0 && info.num_ack_pending === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Writes one batch unless its id is already recorded; answers whether it wrote. */
  async apply(batch: ClickBatchMessage): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const fresh = await trx
            .insertInto('link_click_batches')
            .values({ batch_id: batch.batchId, applied_at: Date.now() })
            .onConflict((oc) => oc.column('batch_id').doNothing())
            .returning('batch_id')
            .executeTakeFirst();
          if (fresh === undefined) return false;
          await this.store.addClicksIn(trx, batch.links);
          return true;
        });
      } catch (error) {
        // A link deleted between the existence check and the insert: check again.
        if (attempt < 3 && isForeignKeyViolation(error)) continue;
        throw error;
      }
    }
  }

  async #loop(): Promise<void> {
    let consumer: Consumer | null = null;
    while (!this.#stopped) {
      try {
        consumer ??= await this.#js.consumers.get(this.#names.stream, this.#names.consumer);
        const pull = await consumer.fetch({ max_messages: WRITER_BATCH, expires: 5_000 });
        this.#pull = pull;
        if (this.#stopped) pull.stop();
        for await (const msg of pull) await this.#handle(msg);
      } catch (error) {
        consumer = null;
        if (this.#stopped) break;
        this.options.logger.warn({ err: error }, 'click writer: cannot pull batches; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      } finally {
        this.#pull = null;
      }
    }
  }

  async #handle(msg: JsMsg): Promise<void> {
    let batch: ClickBatchMessage;
    try {
      batch = msg.json<ClickBatchMessage>();
      if (typeof batch.batchId !== 'string' || !Array.isArray(batch.links))
        throw new Error('shape');
    } catch (error) {
      this.options.logger.error(
        { err: error, seq: msg.seq },
        'click writer: unreadable batch dropped',
      );
      msg.term();
      return;
    }
    try {
      if (await this.apply(batch)) this.written++;
      else this.duplicates++;
      msg.ack();
    } catch (error) {
      const delay = Math.min(30_000, 500 * 2 ** Math.min(msg.info.deliveryCount - 1, 6));
      this.options.logger.warn(
        { err: error, batch: batch.batchId, retryInMs: delay },
        'click writer: batch not written; will retry',
      );
      msg.nak(delay);
    }
  }

  async #sweep(): Promise<void> {
    try {
      await this.db
        .deleteFrom('link_click_batches')
        .where('applied_at', '<', Date.now() - MAX_AGE_MS - DUPLICATE_WINDOW_MS)
        .execute();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'click writer: cannot sweep old batch ids');
    }
  }
}
