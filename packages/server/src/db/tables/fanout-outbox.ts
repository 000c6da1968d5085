/**
 * A fan-out job committed with the group change it announces and not yet confirmed
 * published to JetStream (scale-out); see migrations/0006-fanout-outbox.ts.
 */
export interface ChatFanoutOutboxRow {
  job_id: string;
  /** The job as JSON. */
  payload: string;
  /** Increasing in the order the writing node wrote its rows (µs): the relay's order. */
  position: number;
  /** ms since the epoch until which a relay has claimed the row; 0 when none has. */
  locked_until: number;
  /** ms since the epoch; the relay takes rows older than a few seconds. */
  created_at: number;
}

/** Row types of the fan-out outbox, as Kysely sees them. */
export interface FanoutOutboxTables {
  chat_fanout_outbox: ChatFanoutOutboxRow;
}
