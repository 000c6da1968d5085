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
