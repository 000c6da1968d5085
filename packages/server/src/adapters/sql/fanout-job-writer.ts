import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { FanoutJob } from '../../domains/chat/fanout-queue.js';

/**
 * Where a SQL store writes the fan-out jobs that announce a change, with the
 * statements of the change's own transaction: the change and its jobs commit together
 * or not at all, so a crash can never keep one without the other. Embedded: the
 * queue's own table (`KyselyFanoutQueue`). Scale-out: the outbox that is moved to
 * JetStream (`KyselyFanoutOutbox`).
 */
export interface FanoutJobWriter {
  /** Writes the jobs through `trx` (a transaction); a job whose id is waiting already is kept once. */
  write(trx: Kysely<Database>, jobs: readonly FanoutJob[]): Promise<void>;
  /**
   * The transaction that wrote `jobs` has committed: hand them on now rather than at
   * the next poll. Never throws: what it could not do is left for the relay or poll,
   * since the jobs are durable already.
   */
  committed(jobs: readonly FanoutJob[]): Promise<void>;
}

/** The two tables that hold fan-out jobs in order, each row leased by one worker at a time. */
export type FanoutJobTable = 'chat_fanout_jobs' | 'chat_fanout_outbox';

/**
 * Positions of jobs in their table: microseconds, kept strictly increasing, so that jobs
 * of one millisecond keep the order they were accepted in. Taken inside the writer's
 * transaction, after the change's own statements: a later change of the same group
 * (which waits for this one's lock) gets a later position.
 */
export class JobPositions {
  private last = 0;

  next(now: number): number {
    this.last = Math.max(now * 1000, this.last + 1);
    return this.last;
  }
}

/**
 * Leases the rows of `ready` (read as unleased) to this worker until `now + leaseMs` and
 * returns those it got, in their order. The lease is set with a condition on the lease
 * itself, so that of two workers updating one row (PostgreSQL locks it for the first;
 * the second re-reads it after) only one gets it.
 */
export async function leaseRows<Row extends { job_id: string }>(
  db: Kysely<Database>,
  table: FanoutJobTable,
  ready: readonly Row[],
  now: number,
  leaseMs: number,
): Promise<Row[]> {
  if (ready.length === 0) return [];
  const claimed = await db
    .updateTable(table)
    .set({ locked_until: now + leaseMs })
    .where(
      'job_id',
      'in',
      ready.map((r) => r.job_id),
    )
    .where('locked_until', '<=', now)
    .returning('job_id')
    .execute();
  const mine = new Set(claimed.map((r) => r.job_id));
  return ready.filter((r) => mine.has(r.job_id));
}
