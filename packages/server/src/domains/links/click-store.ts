import type { ClickJournal } from './click-journal.js';
import type { DeviceClass } from './visitor-profile.js';

/** Clicks of one link on one UTC day from one referrer host and one kind of visitor. */
export interface ClickRow {
  /** UTC midnight, ms since the epoch. */
  readonly day: number;
  readonly referrer: string;
  readonly device: DeviceClass;
  readonly browser: string;
  readonly bot: boolean;
  readonly clicks: number;
}

/** One link's share of a flush. */
export interface LinkClicks {
  readonly linkId: string;
  /**
   * Clicks to add to the link's total. Clicks of links with a click limit were
   * already counted at redirect time, so they appear in `rows` but not here.
   */
  readonly uncounted: number;
  readonly rows: readonly ClickRow[];
}

/** A count by key (referrer host, device class, browser family). */
export interface KeyCount {
  readonly key: string;
  readonly clicks: number;
}

/** A link's clicks from a given day on, as stored. */
export interface StoredClickStats {
  /** Days with clicks, oldest first. */
  readonly byDay: ReadonlyArray<{ readonly day: number; readonly clicks: number }>;
  /** Each breakdown sorted by clicks, most first. */
  readonly referrers: readonly KeyCount[];
  readonly devices: readonly KeyCount[];
  readonly browsers: readonly KeyCount[];
  readonly bots: number;
}

/** Stores aggregated clicks. */
export interface ClickStore {
  /**
   * Writes a flush in one transaction: adds each link's `uncounted` to its total and
   * its rows to the daily aggregates. Links deleted meanwhile are skipped.
   */
  addClicks(batch: readonly LinkClicks[]): Promise<void>;
  /** A link's aggregates from `fromDay` (UTC midnight, ms) on; breakdowns capped at `limit` keys. */
  statsOf(linkId: string, fromDay: number, limit: number): Promise<StoredClickStats>;
  /** The journal in front of the aggregates, when the store keeps one (see `ClickJournal`). */
  readonly journal?: ClickJournal | null;
}
