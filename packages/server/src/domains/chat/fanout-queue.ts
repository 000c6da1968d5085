import type { GroupEventFrame, GroupRole } from '@switchboard/shared';

/** Writes a group message to the inbox of every member device. */
export interface GroupMessageJob {
  readonly kind: 'message';
  /** The fan-out key: one job per sending user and message id. */
  readonly id: string;
  readonly groupId: string;
  readonly from: { readonly user: string; readonly device: string };
  readonly messageId: string;
  readonly ts: number;
  /** The message body, already serialised. */
  readonly body: string;
}

/** Writes a membership change to the inbox of every member device. */
export interface GroupEventJob {
  readonly kind: 'event';
  readonly id: string;
  readonly groupId: string;
  readonly event: GroupEventFrame['event'];
  readonly by: string;
  readonly userId?: string;
  readonly name?: string;
  readonly role?: GroupRole;
  readonly ts: number;
  /** Users told besides the current members (the member who was removed or left). */
  readonly alsoTo: readonly string[];
}

/** A unit of fan-out work. */
export type FanoutJob = GroupMessageJob | GroupEventJob;

/**
 * The durable queue between accepting a group message and writing it to every member
 * device, so that a large group never delays the sender's `sent`. Embedded: a table
 * polled in-process. Scale-out: a JetStream stream with a work-queue consumer.
 *
 * Delivery to the handler is at least once; the handler must be idempotent (it is: a
 * fan-out is an inbox delivery with a key).
 */
export interface FanoutQueue {
  /** Stores a job durably; a job whose id is already waiting is not stored twice. */
  enqueue(job: FanoutJob): Promise<void>;
  /**
   * Hands jobs to `handler`, oldest first, one at a time; a job is removed once the
   * handler resolves and tried again later when it throws.
   */
  start(handler: (job: FanoutJob) => Promise<void>): void;
  /** Stops taking jobs and waits for the one being handled. */
  stop(): Promise<void>;
  /** Resolves once no job is ready to be handled (for tests and shutdown). */
  drained(): Promise<void>;
}
