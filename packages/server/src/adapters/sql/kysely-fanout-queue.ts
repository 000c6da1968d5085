import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { FanoutJob, FanoutQueue } from '../../domains/chat/fanout-queue.js';
import type { Logger } from '../../logger.js';
import { type FanoutJobWriter, JobPositions, leaseRows } from './fanout-job-writer.js';

/** Tuning of the table-backed queue; the defaults suit production. */
export interface KyselyFanoutQueueOptions {
  /** How often the table is looked at when nothing woke the worker. */
  readonly pollMs?: number;
  /** How long a claimed job is reserved for the worker that claimed it. */
  readonly leaseMs?: number;
  /** First retry delay of a failed job; doubled on each failure, up to a minute. */
  readonly retryDelayMs?: number;
  /** Jobs claimed at once. */
  readonly batch?: number;
}

const MAX_RETRY_DELAY_MS = 60_000;

/**
 * The fan-out queue of the embedded mode: a table in the same database, so that an
 * accepted group message survives SIGKILL, and a group change writes its event job in
 * its own transaction (`FanoutJobWriter`). An in-process worker is woken at once by
 * `enqueue` and by such a commit, and polls for what other processes (or a restart)
 * left behind. Jobs are claimed with a lease, so several nodes on one PostgreSQL would
 * not run a job twice at once.
 */
export class KyselyFanoutQueue implements FanoutQueue, FanoutJobWriter {
  private handler: ((job: FanoutJob) => Promise<void>) | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private kicked = false;
  private waiters: Array<() => void> = [];
  private readonly positions = new JobPositions();
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly retryDelayMs: number;
  private readonly batch: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
    options: KyselyFanoutQueueOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1_000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.batch = options.batch ?? 50;
  }

  async enqueue(job: FanoutJob): Promise<void> {
    await this.write(this.db, [job]);
    this.kick();
  }

  async write(trx: Kysely<Database>, jobs: readonly FanoutJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const now = Date.now();
    const rows = jobs.map((job) => ({
      job_id: job.id,
      payload: JSON.stringify(job),
      position: this.positions.next(now),
      attempts: 0,
      available_at: now,
      locked_until: 0,
      created_at: now,
    }));
    await trx
      .insertInto('chat_fanout_jobs')
      .values(rows)
      .onConflict((oc) => oc.column('job_id').doNothing())
      .execute();
  }

  committed(): Promise<void> {
    this.kick();
    return Promise.resolve();
  }

  start(handler: (job: FanoutJob) => Promise<void>): void {
    if (this.running !== null) throw new Error('the fan-out queue is already started');
    this.handler = handler;
    this.stopped = false;
    this.running = this.releaseLeases().then(() => this.loop());
  }

  /**
   * A job leased by a process that crashed would wait for its lease to run out; a
   * starting worker frees every lease instead. That is safe because handling a job is
   * idempotent: a job another node is handling right now may run twice, and its
   * second run writes nothing.
   */
  private async releaseLeases(): Promise<void> {
    try {
      await this.db
        .updateTable('chat_fanout_jobs')
        .set({ locked_until: 0 })
        .where('locked_until', '>', 0)
        .execute();
    } catch (error) {
      this.logger.warn({ err: error }, 'fan-out queue: cannot release leases');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.kick();
    await this.running;
    this.running = null;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  drained(): Promise<void> {
    if (this.running === null) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.kick();
    });
  }

  private kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.kicked = false;
      let jobs: Array<{ id: string; job: FanoutJob; attempts: number }> = [];
      try {
        jobs = await this.claim();
      } catch (error) {
        this.logger.error({ err: error }, 'fan-out queue: cannot read jobs');
      }
      for (const { id, job, attempts } of jobs) {
        if (this.stopped) break;
        await this.handle(id, job, attempts);
      }
      if (jobs.length > 0) continue;
      for (const resolve of this.waiters.splice(0)) resolve();
      if (this.stopped || this.kicked) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private async claim(): Promise<Array<{ id: string; job: FanoutJob; attempts: number }>> {
    const now = Date.now();
    const ready = await this.db
      .selectFrom('chat_fanout_jobs')
      .select(['job_id', 'payload', 'attempts'])
      .where('available_at', '<=', now)
      .where('locked_until', '<=', now)
      .orderBy('position')
      .limit(this.batch)
      .execute();
    const mine = await leaseRows(this.db, 'chat_fanout_jobs', ready, now, this.leaseMs);
    return mine.map((r) => ({
      id: r.job_id,
      job: JSON.parse(r.payload) as FanoutJob,
      attempts: r.attempts,
    }));
  }

  private async handle(id: string, job: FanoutJob, attempts: number): Promise<void> {
    try {
      await this.handler!(job);
      await this.db.deleteFrom('chat_fanout_jobs').where('job_id', '=', id).execute();
    } catch (error) {
      const delay = Math.min(MAX_RETRY_DELAY_MS, this.retryDelayMs * 2 ** Math.min(attempts, 16));
      this.logger.warn(
        { err: error, job: id, attempts: attempts + 1, retryInMs: delay },
        'fan-out job failed: will retry',
      );
      await this.db
        .updateTable('chat_fanout_jobs')
        .set({ attempts: attempts + 1, available_at: Date.now() + delay, locked_until: 0 })
        .where('job_id', '=', id)
        .execute()
        .catch((err: unknown) =>
          this.logger.error({ err, job: id }, 'fan-out queue: cannot reschedule'),
        );
    }
  }
}
