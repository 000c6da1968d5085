import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { FanoutJob } from '../../domains/chat/fanout-queue.js';
import type { Logger } from '../../logger.js';
import { type FanoutJobWriter, JobPositions, leaseRows } from './fanout-job-writer.js';

/** Tuning of the outbox relay; the defaults suit production. */
export interface KyselyFanoutOutboxOptions {
  /** A row this old was not published by the node that wrote it (it crashed): relay it. */
  readonly relayAfterMs?: number;
  /** How often the relay looks for such rows. */
  readonly pollMs?: number;
  /** How long a relay's claim on rows keeps other nodes' relays off them. */
  readonly leaseMs?: number;
  /** Rows relayed per pass. */
  readonly batch?: number;
}

/**
 * The transactional outbox between a group change and the JetStream fan-out queue
 * (scale-out). A change writes its event jobs here in its own transaction; once it has
 * committed, the node publishes them at once (`committed`, awaited by the change, so
 * the normal path keeps today's latency and order) and deletes the rows. If the node
 * dies in between, or the publish fails, a relay on every node publishes rows older
 * than `relayAfterMs`, claimed with a lease so that two nodes rarely both do. A double
 * publish is harmless: the job id is the `Nats-Msg-Id`, which JetStream de-duplicates,
 * and the fan-out itself is idempotent.
 */
export class KyselyFanoutOutbox implements FanoutJobWriter {
  private readonly positions = new JobPositions();
  private timer: NodeJS.Timeout | null = null;
  private relaying: Promise<unknown> = Promise.resolve();
  private readonly deletes = new Set<Promise<unknown>>();
  private readonly relayAfterMs: number;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly batch: number;

  constructor(
    private readonly db: Kysely<Database>,
    /** Publishes one job to the queue; resolves once the queue has it durably. */
    private readonly publish: (job: FanoutJob) => Promise<void>,
    private readonly logger: Logger,
    options: KyselyFanoutOutboxOptions = {},
  ) {
    this.relayAfterMs = options.relayAfterMs ?? 5_000;
    this.pollMs = options.pollMs ?? 2_000;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.batch = options.batch ?? 100;
  }

  async write(trx: Kysely<Database>, jobs: readonly FanoutJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const now = Date.now();
    const rows = jobs.map((job) => ({
      job_id: job.id,
      payload: JSON.stringify(job),
      position: this.positions.next(now),
      locked_until: 0,
      created_at: now,
    }));
    await trx
      .insertInto('chat_fanout_outbox')
      .values(rows)
      .onConflict((oc) => oc.column('job_id').doNothing())
      .execute();
  }

  /**
   * Publishes the jobs of a committed change in their order, then deletes their rows
   * without making the change wait for it. A job that cannot be published (nor those
   * after it, to keep the order) is left to the relay: the change stands.
   */
  async committed(jobs: readonly FanoutJob[]): Promise<void> {
    const published: string[] = [];
    for (const job of jobs) {
      try {
        await this.publish(job);
        published.push(job.id);
      } catch (error) {
        this.logger.warn(
          { err: error, job: job.id },
          'fan-out outbox: publish failed; the relay will retry',
        );
        break;
      }
    }
    if (published.length > 0) this.track(this.remove(published));
  }

  /** Starts the relay (every node runs one). */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      this.relaying = this.relaying.then(() => this.relay());
    }, this.pollMs);
    this.timer.unref();
  }

  /** Stops the relay and waits for what it and the deletes are doing. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.relaying;
    await Promise.all([...this.deletes]);
  }

  /**
   * One relay pass: claims the rows older than `relayAfterMs` that no other relay
   * holds, oldest first, publishes them in order and deletes them. Returns how many it
   * published. Never throws.
   */
  async relay(): Promise<number> {
    try {
      const claimed = await this.claim();
      const done: string[] = [];
      for (const row of claimed) {
        try {
          await this.publish(JSON.parse(row.payload) as FanoutJob);
          done.push(row.job_id);
        } catch (error) {
          this.logger.warn({ err: error, job: row.job_id }, 'fan-out outbox: relay failed');
          // Free the rest at once, so that the next pass tries again in their order.
          const rest = claimed.slice(done.length).map((r) => r.job_id);
          await this.db
            .updateTable('chat_fanout_outbox')
            .set({ locked_until: 0 })
            .where('job_id', 'in', rest)
            .execute();
          break;
        }
      }
      await this.remove(done);
      if (done.length > 0) this.logger.info({ jobs: done.length }, 'fan-out outbox: relayed');
      return done.length;
    } catch (error) {
      this.logger.warn({ err: error }, 'fan-out outbox: relay pass failed');
      return 0;
    }
  }

  /**
   * Leases the oldest unclaimed rows past the delay (`leaseRows`: of two relays, only
   * one gets a row).
   */
  private async claim(): Promise<Array<{ job_id: string; payload: string }>> {
    const now = Date.now();
    const ready = await this.db
      .selectFrom('chat_fanout_outbox')
      .select(['job_id', 'payload', 'position'])
      .where('created_at', '<=', now - this.relayAfterMs)
      .where('locked_until', '<=', now)
      .orderBy('position')
      .limit(this.batch)
      .execute();
    return leaseRows(this.db, 'chat_fanout_outbox', ready, now, this.leaseMs);
  }

  private async remove(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await this.db.deleteFrom('chat_fanout_outbox').where('job_id', 'in', jobIds).execute();
  }

  private track(deletion: Promise<void>): void {
    const tracked = deletion
      .catch((error: unknown) => {
        // The row stays; the relay publishes it again later, which JetStream drops.
        this.logger.warn({ err: error }, 'fan-out outbox: cannot delete published rows');
      })
      .finally(() => this.deletes.delete(tracked));
    this.deletes.add(tracked);
  }
}
