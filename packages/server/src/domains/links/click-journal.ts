import type { LinkClicks } from './click-store.js';

/** What a journal held that was not folded yet, when the process started. */
export interface RecoveredClicks {
  /** The clicks, merged per link and key. */
  readonly clicks: readonly LinkClicks[];
  /** The position of the last record (0 for none): the next append comes after it. */
  readonly position: number;
}

/**
 * A durable, append-only record of clicks not yet folded into the aggregates.
 *
 * Writing each flush's clicks straight into the per-link totals and per-day rows
 * costs a page write per link clicked, spread over those whole tables; appending them
 * costs a few pages however many links were clicked. The aggregates are brought up to
 * date by folds, now and then, each covering many clicks per page. A crash loses no
 * appended click: the next start recovers what was not folded.
 *
 * A fold goes in parts of links in ascending id order, each part committed with the
 * fold's progress, so that what a crash mid-fold leaves is exactly known: records up to
 * `upto` are folded for the links up to the last part's, not for the others.
 */
export interface ClickJournal {
  /**
   * Reads what is not folded yet, once at start, and rewrites it as one record (so that
   * the progress of an interrupted fold is settled). Nothing else may run before it.
   */
  recover(): Promise<RecoveredClicks>;
  /** Appends clicks as one record; answers its position. */
  append(clicks: readonly LinkClicks[]): Promise<number>;
  /**
   * Adds one part of a fold to the aggregates (as `ClickStore.addClicks` does) and records,
   * in the same transaction, that the records up to `upto` are folded for the links up
   * to `throughLinkId`. Parts come in ascending link id order.
   */
  fold(part: readonly LinkClicks[], upto: number, throughLinkId: string): Promise<void>;
  /** Deletes the records up to `upto` and the fold's progress, once every part is folded. */
  trim(upto: number): Promise<void>;
}
