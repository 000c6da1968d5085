import { AppError } from '@switchboard/shared';
import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FanoutJob, FanoutQueue } from '../../domains/chat/fanout-queue.js';
import type { Logger } from '../../logger.js';
import { ensureConsumer, ensureStream, nanos } from './nats-connection.js';

/** Settings of the fan-out queue; the defaults suit production. */
export interface NatsFanoutQueueOptions {
  /** Prefix of the stream and subject (`CLUSTER_NAME`). */
  readonly prefix: string;
  readonly logger: Logger;
  /** Copies JetStream keeps of each job (at most the NATS servers in the cluster). */
  readonly replicas?: number;
  /**
   * How long a job may go without news from its worker before JetStream gives it to
   * another (the consumer's `ack_wait`); a running worker says "working" every third.
   */
  readonly leaseMs?: number;
  /** After this long a job's worker stops saying "working", so a stuck one loses it. */
  readonly maxLeaseMs?: number;
  /** First retry delay of a failed job; doubled on each failure, up to a minute. */
  readonly retryDelayMs?: number;
}

const MAX_RETRY_DELAY_MS = 60_000;
/** JetStream forgets a job id after this long; a job enqueued again later is run again (harmlessly). */
const DUPLICATE_WINDOW_MS = 2 * 60_000;
/** A job nobody could run for this long is dropped with the stream's age limit. */
const MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * How long one pull waits for a job before asking again. Short, because a job the
 * server sends to the pull of a worker that just stopped waits for its lease.
 */
const PULL_EXPIRES_MS = 5_000;

/**
 * Partitions of the fan-out stream. The jobs of one group always land in the same one,
 * and a partition hands out one job at a time cluster-wide (`max_ack_pending: 1`), so
 * one group's messages are written in the order they were accepted (the protocol's
 * promise) while 16 groups fan out at once. Fixed: jobs waiting in a partition that
 * no longer exists would never run.
 */
export const FANOUT_PARTITIONS = 16;

/** The names of a cluster's fan-out stream, its partition subjects and their consumers. */
export function fanoutNames(prefix: string) {
  return {
    stream: `${prefix}_fanout`,
    subjects: `${prefix}.fanout.jobs.*`,
    subject: (partition: number) => `${prefix}.fanout.jobs.${partition}`,
    consumer: (partition: number) => `part-${partition}`,
  };
}

/** The partition of a group: FNV-1a of its id, so every node picks the same. */
export function partitionOf(groupId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < groupId.length; i++) {
    hash ^= groupId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % FANOUT_PARTITIONS;
}

const PARTITIONS = Array.from({ length: FANOUT_PARTITIONS }, (_, i) => i);

/**
 * The group fan-out queue of a cluster, on JetStream: a work-queue stream (a job is
 * gone once acknowledged) in partitions by group, each with one durable pull consumer
 * that every node's worker pulls from, one job in flight at a time; explicit acks,
 * redelivery with backoff after a failure (`nak` with a delay; later jobs of the
 * partition wait, keeping the order) and to another worker after a lease with no news
 * (a crashed node), and de-duplication of a job enqueued twice through its id in the
 * `Nats-Msg-Id` header.
 */
export class NatsFanoutQueue implements FanoutQueue {
  readonly #js: JetStreamClient;
  readonly #names: ReturnType<typeof fanoutNames>;
  readonly #leaseMs: number;
  readonly #maxLeaseMs: number;
  readonly #retryDelayMs: number;
  readonly #encoder = new TextEncoder();
  #handler: ((job: FanoutJob) => Promise<void>) | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  readonly #pulls = new Set<ConsumerMessages>();
  #jsm: Promise<JetStreamManager> | null = null;

  /** Creates (or updates) the stream and its consumers; every node calls it at start. */
  static async prepare(nc: NatsConnection, options: NatsFanoutQueueOptions): Promise<void> {
    const jsm = await jetstreamManager(nc);
    const names = fanoutNames(options.prefix);
    await ensureStream(jsm, {
      name: names.stream,
      subjects: [names.subjects],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: options.replicas ?? 1,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      max_age: nanos(MAX_AGE_MS),
    });
    await Promise.all(
      PARTITIONS.map((partition) =>
        ensureConsumer(jsm, names.stream, {
          durable_name: names.consumer(partition),
          filter_subject: names.subject(partition),
          ack_policy: AckPolicy.Explicit,
          ack_wait: nanos(options.leaseMs ?? 30_000),
          max_deliver: -1,
          max_ack_pending: 1,
        }),
      ),
    );
  }

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsFanoutQueueOptions,
  ) {
    this.#js = jetstream(nc, { timeout: 5_000 });
    this.#names = fanoutNames(options.prefix);
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#maxLeaseMs = options.maxLeaseMs ?? 10 * 60_000;
    this.#retryDelayMs = options.retryDelayMs ?? 1_000;
  }

  async enqueue(job: FanoutJob): Promise<void> {
    try {
      await this.#js.publish(
        this.#names.subject(partitionOf(job.groupId)),
        this.#encoder.encode(JSON.stringify(job)),
        { msgID: job.id },
      );
    } catch (error) {
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'The group queue is not answering; retry shortly.',
        {
          cause: error,
        },
      );
    }
  }

  start(handler: (job: FanoutJob) => Promise<void>): void {
    if (this.#running !== null) throw new Error('the fan-out queue is already started');
    this.#handler = handler;
    this.#stopped = false;
    this.#running = Promise.all(PARTITIONS.map((p) => this.#loop(p))).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const pull of this.#pulls) pull.stop();
    await this.#running;
    this.#running = null;
  }

  async drained(): Promise<void> {
    if (this.#running === null) return;
    this.#jsm ??= jetstreamManager(this.nc);
    const jsm = await this.#jsm;
    for (;;) {
      const infos = await Promise.all(
        PARTITIONS.map((p) => jsm.consumers.info(this.#names.stream, this.#names.consumer(p))),
      );
      if (infos.every((i) => i.num_pending === 0 && i.num_ack_pending === 0)) return;
      if (this.#stopped) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async #loop(partition: number): Promise<void> {
    let consumer: Consumer | null = null;
    while (!this.#stopped) {
      let pull: ConsumerMessages | null = null;
      try {
        consumer ??= await this.#js.consumers.get(
          this.#names.stream,
          this.#names.consumer(partition),
        );
        // One job at a time, so that no node holds jobs it is not working on.
        pull = await consumer.fetch({ max_messages: 1, expires: PULL_EXPIRES_MS });
        this.#pulls.add(pull);
        // `stop` may have come while the pull was being set up.
        if (this.#stopped) pull.stop();
        for await (const msg of pull) await this.#handle(msg);
      } catch (error) {
        consumer = null;
        if (this.#stopped) break;
        this.options.logger.warn(
          { err: error, partition },
          'fan-out queue: cannot pull jobs; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
      } finally {
        if (pull !== null) this.#pulls.delete(pull);
      }
    }
  }

  async #handle(msg: JsMsg): Promise<void> {
    let job: FanoutJob;
    try {
      job = msg.json<FanoutJob>();
    } catch (error) {
      this.options.logger.error(
        { err: error, seq: msg.seq },
        'fan-out queue: unreadable job dropped',
      );
      msg.term();
      return;
    }
    const began = Date.now();
    const heartbeat = setInterval(
      () => {
        if (Date.now() - began < this.#maxLeaseMs) msg.working();
      },
      Math.max(50, Math.floor(this.#leaseMs / 3)),
    );
    heartbeat.unref();
    try {
      await this.#handler!(job);
      clearInterval(heartbeat);
      // Confirmed, so that `drained` and a restart see the job gone.
      await msg.ackAck().catch((error: unknown) => {
        this.options.logger.warn({ err: error, job: job.id }, 'fan-out queue: ack not confirmed');
      });
    } catch (error) {
      clearInterval(heartbeat);
      const attempts = msg.info.deliveryCount;
      const delay = Math.min(
        MAX_RETRY_DELAY_MS,
        this.#retryDelayMs * 2 ** Math.min(attempts - 1, 16),
      );
      this.options.logger.warn(
        { err: error, job: job.id, attempts, retryInMs: delay },
        'fan-out job failed: will retry',
      );
      msg.nak(delay);
    }
  }
}
