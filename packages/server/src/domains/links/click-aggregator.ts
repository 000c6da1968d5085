import { performance } from 'node:perf_hooks';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { ClickJournal } from './click-journal.js';
import type { ClickRow, ClickStore, LinkClicks } from './click-store.js';
import type { DeviceClass, VisitorClassifier, VisitorProfile } from './visitor-profile.js';

const DAY_MS = 86_400_000;
/** Links written per transaction of a flush without a journal. */
const FLUSH_PART = 500;
/** Links per journal record: an append of many links goes in several, a turn apart. */
const APPEND_PART = 500;
/**
 * A fold's parts are synchronous transactions on SQLite, so their size is set from the
 * time the last one took: about this long, so that redirects wait at most that.
 */
const FOLD_PART_MS = 4;
const FOLD_PART_MIN = 50;
const FOLD_PART_MAX = 2_000;
const FOLD_PART_START = 250;
/** Row keys kept for sharing at most; past it the table starts again (keys stay valid). */
const ROW_KEYS_MAX = 10_000;

/** When a store keeps a journal: how much may wait there before it is folded. */
export interface FoldPolicy {
  /** A fold starts once this many links have clicks in the journal... */
  readonly links: number;
  /** ...or once the oldest journaled click waited this long. */
  readonly afterMs: number;
}

/**
 * Folds cover many clicks per page of the aggregates, which is what makes them cheap,
 * and a fold costs two statements per link whatever its clicks: the more clicks a link
 * gathers before its fold, the less each costs. The bound on links keeps the memory of
 * what waits small (about 150 bytes a link with one kind of visitor).
 */
const DEFAULT_FOLD: FoldPolicy = { links: 200_000, afterMs: 30_000 };

/** What a row is counted under: day, referrer and visitor profile, shared by many links. */
interface RowKey {
  /** As `rowKey` builds it. */
  readonly key: string;
  readonly day: number;
  readonly referrer: string;
  readonly device: DeviceClass;
  readonly browser: string;
  readonly bot: boolean;
}

interface MoreRow {
  readonly at: RowKey;
  clicks: number;
}

/**
 * One link's pending clicks. Most links waiting have clicks under one key only (one
 * day, one kind of visitor), which are kept inline: no map, no row object per link.
 */
interface PendingLink {
  /** Clicks not counted at redirect time, to add to the link's total. */
  uncounted: number;
  first: RowKey | null;
  clicks: number;
  /** Rows under other keys, by key. */
  more: Map<string, MoreRow> | null;
}

type ClickBuffer = Map<string, PendingLink>;

/** A fold under way: its links in id order, how far it got, and the journal it covers. */
interface Fold {
  /** What is still to fold: a part's links leave once the part is committed. */
  readonly batch: ClickBuffer;
  readonly order: readonly string[];
  next: number;
  /** The last journal position it covers. */
  readonly upto: number;
}

/** The key of a row; `record` builds the same one from its parts. */
function rowKey(row: Omit<ClickRow, 'clicks'>): string {
  return `${row.day}\u0001${row.device}\u0001${row.browser}\u0001${row.bot ? 1 : 0}\u0001${row.referrer}`;
}

function addRow(pending: PendingLink, at: RowKey, clicks: number): void {
  if (pending.first === null) {
    pending.first = at;
    pending.clicks = clicks;
  } else if (pending.first.key === at.key) pending.clicks += clicks;
  else {
    pending.more ??= new Map();
    const row = pending.more.get(at.key);
    if (row !== undefined) row.clicks += clicks;
    else pending.more.set(at.key, { at, clicks });
  }
}

function toRow(at: RowKey, clicks: number): ClickRow {
  return {
    day: at.day,
    referrer: at.referrer,
    device: at.device,
    browser: at.browser,
    bot: at.bot,
    clicks,
  };
}

function rowsOf(pending: PendingLink): ClickRow[] {
  const rows: ClickRow[] = [];
  if (pending.first !== null) rows.push(toRow(pending.first, pending.clicks));
  if (pending.more !== null)
    for (const row of pending.more.values()) rows.push(toRow(row.at, row.clicks));
  return rows;
}

function toLinkClicks(linkId: string, pending: PendingLink): LinkClicks {
  return { linkId, uncounted: pending.uncounted, rows: rowsOf(pending) };
}

function clicksOf(pending: PendingLink): number {
  let clicks = pending.clicks;
  if (pending.more !== null) for (const row of pending.more.values()) clicks += row.clicks;
  return clicks;
}

/** Adds the clicks of `from` to `into`; `from` must not be used afterwards. */
function mergeInto(into: ClickBuffer, from: ClickBuffer): void {
  for (const [linkId, incoming] of from) mergeLink(into, linkId, incoming);
}

function mergeLink(into: ClickBuffer, linkId: string, incoming: PendingLink): void {
  const current = into.get(linkId);
  if (current === undefined) {
    into.set(linkId, incoming);
    return;
  }
  current.uncounted += incoming.uncounted;
  if (incoming.first !== null) addRow(current, incoming.first, incoming.clicks);
  if (incoming.more !== null)
    for (const row of incoming.more.values()) addRow(current, row.at, row.clicks);
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Counts clicks in memory and writes them in batches, so that redirects never wait
 * for the database. One write runs at a time; a failed one keeps its clicks for the
 * next. Nothing is lost on a clean shutdown (`close` writes everything); a crash loses
 * at most the clicks of one flush interval.
 *
 * When the store keeps a journal (SQLite), each flush interval appends the new clicks
 * to it (one row, whatever links they went to), and folds bring the per-link totals and
 * per-day rows up to date now and then, in link id order: a fold writes each page of
 * those tables once for all the clicks that wait, where writing every flush straight
 * into them costs a page per link clicked (at 5,000 redirects/s over 100,000 links,
 * about 30 µs of CPU per click, and as much again waiting for the disk). Journaled
 * clicks are counted as pending, like buffered ones, until they are folded; at start
 * the journal's unfolded clicks are recovered first. `flush` and `close` fold
 * everything. Without a journal every flush writes the aggregates.
 */
export class ClickAggregator {
  /** Recorded, not written anywhere yet. */
  #buffer: ClickBuffer = new Map();
  /** Being written: to the aggregates (no journal) or to the journal. */
  #inFlight: ClickBuffer | null = null;
  /** In the journal, not folded yet. */
  #journaled: ClickBuffer = new Map();
  /** When the oldest journaled click was appended (performance.now()). */
  #journaledSince = 0;
  #fold: Fold | null = null;
  /** The last journal position appended. */
  #position = 0;
  #recovered: boolean;
  /** When the buffer was last appended to the journal (performance.now()). */
  #lastAppend = 0;
  #intervalMs = 1_000;
  #flushing: Promise<void> = Promise.resolve();
  /** The recovery, or the fold part, being committed; readers wait for it. */
  #committing: Promise<unknown> | null = null;
  /** Changes whenever written clicks move from pending to stored: readers use it to detect a race. */
  #epoch = 0;
  #timer: NodeJS.Timeout | null = null;
  #ticking = false;
  #day = -1;
  #dayPrefix = '';
  /** Row keys in use, so that links clicked alike share one. */
  #rowKeys = new Map<string, RowKey>();
  /** The last click's profile, referrer and row key: the next one is most often the same. */
  #lastProfile: VisitorProfile | null = null;
  #lastReferrer = '';
  #lastRowKey: RowKey | null = null;
  /** Links per part of a fold, adapted to the time a part takes. */
  #foldPart = FOLD_PART_START;
  readonly #journal: ClickJournal | null;
  readonly #foldPolicy: FoldPolicy;
  /** Clicks written to the aggregates since start, for metrics. */
  written = 0;

  constructor(
    private readonly store: ClickStore,
    private readonly classifier: VisitorClassifier,
    private readonly clock: Clock,
    private readonly logger: Logger,
    foldPolicy: FoldPolicy = DEFAULT_FOLD,
  ) {
    this.#journal = store.journal ?? null;
    this.#foldPolicy = foldPolicy;
    this.#recovered = this.#journal === null;
    // The journal's unfolded clicks are pending clicks: readers wait until they are in
    // (`#recover` marks itself as committing before its first await), and every write
    // comes after it.
    if (this.#journal !== null) this.#flushing = this.#recover().catch(() => undefined);
  }

  /** Starts writing every `intervalMs`. */
  start(intervalMs: number): void {
    this.#intervalMs = intervalMs;
    this.#timer ??= setInterval(() => {
      // A fold may take longer than an interval: ticks do not pile up behind it.
      if (this.#ticking) return;
      this.#ticking = true;
      this.#enqueue(() => this.#tick(false))
        .catch(() => undefined)
        .finally(() => (this.#ticking = false));
    }, intervalMs);
    this.#timer.unref();
  }

  /**
   * Counts one click. `counted` says that the link's total was already incremented
   * at redirect time (links with a click limit), so only the breakdown is added.
   */
  record(
    linkId: string,
    counted: boolean,
    userAgent: string | undefined,
    referer: string | undefined,
  ): void {
    const now = this.clock.now();
    const day = now - (now % DAY_MS);
    if (day !== this.#day) {
      this.#day = day;
      this.#dayPrefix = `${day}\u0001`;
      this.#lastRowKey = null;
    }
    const profile = this.classifier.classify(userAgent);
    const referrer = this.classifier.referrer(referer);
    let at = this.#lastRowKey;
    if (at === null || profile !== this.#lastProfile || referrer !== this.#lastReferrer) {
      // As `rowKey`: day, then the profile's device, browser and bot flag, then referrer.
      at = this.#rowKeyOf(this.#dayPrefix + profile.key + '\u0001' + referrer, {
        day,
        referrer,
        device: profile.device,
        browser: profile.browser,
        bot: profile.bot,
      });
      this.#lastProfile = profile;
      this.#lastReferrer = referrer;
      this.#lastRowKey = at;
    }
    const pending = this.#buffer.get(linkId);
    if (pending === undefined) {
      this.#buffer.set(linkId, { uncounted: counted ? 0 : 1, first: at, clicks: 1, more: null });
      return;
    }
    if (!counted) pending.uncounted++;
    addRow(pending, at, 1);
  }

  /** The shared row key for `key`; the table is emptied now and then (keys stay valid). */
  #rowKeyOf(key: string, parts: Omit<RowKey, 'key'>): RowKey {
    let at = this.#rowKeys.get(key);
    if (at === undefined) {
      if (this.#rowKeys.size >= ROW_KEYS_MAX) this.#rowKeys.clear();
      at = {
        key,
        day: parts.day,
        referrer: parts.referrer,
        device: parts.device,
        browser: parts.browser,
        bot: parts.bot,
      };
      this.#rowKeys.set(key, at);
    }
    return at;
  }

  /** Every buffer of clicks not in the aggregates yet. */
  #pendingBuffers(): ClickBuffer[] {
    const buffers = [this.#buffer, this.#journaled];
    if (this.#inFlight !== null) buffers.push(this.#inFlight);
    if (this.#fold !== null) buffers.push(this.#fold.batch);
    return buffers;
  }

  /** Clicks counted in memory and not in the aggregates yet, for metrics. */
  get buffered(): number {
    let clicks = 0;
    for (const buffer of this.#pendingBuffers()) {
      for (const pending of buffer.values()) clicks += clicksOf(pending);
    }
    return clicks;
  }

  /** Clicks of a link not yet added to its stored total (buffered, journaled or being written). */
  pendingTotal(linkId: string): number {
    let total = 0;
    for (const buffer of this.#pendingBuffers()) total += buffer.get(linkId)?.uncounted ?? 0;
    return total;
  }

  /** Every click of a link not yet written to its aggregates. */
  pendingRows(linkId: string): ClickRow[] {
    const rows: ClickRow[] = [];
    for (const buffer of this.#pendingBuffers()) {
      const pending = buffer.get(linkId);
      if (pending !== undefined) rows.push(...rowsOf(pending));
    }
    return rows;
  }

  /** Changes whenever written clicks move from pending to stored. */
  get epoch(): number {
    return this.#epoch;
  }

  /**
   * Resolves once no write that moves clicks from pending to stored is under way, so
   * that a read of the store and of the pending clicks can add up. Without a journal
   * that is any flush (a flush started meanwhile is waited for too); with one, the
   * recovery and a fold's part being committed, not the rest of a long fold.
   */
  async settled(): Promise<void> {
    if (this.#journal !== null) {
      while (this.#committing !== null) await this.#committing.catch(() => undefined);
      return;
    }
    let current: Promise<void>;
    do {
      current = this.#flushing;
      await current.catch(() => undefined);
    } while (current !== this.#flushing);
  }

  /** Drops what is pending for a deleted link. */
  forget(linkId: string): void {
    this.#buffer.delete(linkId);
    this.#journaled.delete(linkId);
    this.#fold?.batch.delete(linkId);
  }

  /** Writes everything pending into the aggregates now; rejects (keeping the clicks) when the store fails. */
  flush(): Promise<void> {
    return this.#enqueue(() => this.#tick(true));
  }

  /** Stops the timer and writes what is left; called when the app closes. */
  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    try {
      await this.flush();
    } catch {
      // One more try: a shutdown is the last chance to keep these clicks.
      try {
        await this.flush();
      } catch (error) {
        this.logger.error(
          { err: error, clicks: this.buffered },
          this.#journal === null
            ? 'clicks could not be written at shutdown'
            : 'clicks could not be folded at shutdown; the journal keeps those it holds',
        );
      }
    }
  }

  /** Runs `step` after the writes before it, whatever became of them. */
  #enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.#flushing.catch(() => undefined).then(step);
    this.#flushing = run;
    return run;
  }

  async #tick(everything: boolean): Promise<void> {
    if (this.#journal === null) return this.#flushDirect();
    if (!this.#recovered) await this.#recover();
    await this.#append(this.#journal);
    if (this.#fold !== null) await this.#runFold(this.#journal);
    if (everything || this.#shouldFold()) {
      this.#startFold();
      if (this.#fold !== null) await this.#runFold(this.#journal);
    }
  }

  #shouldFold(): boolean {
    const { links, afterMs } = this.#foldPolicy;
    return (
      this.#journaled.size >= links ||
      (this.#journaled.size > 0 && performance.now() - this.#journaledSince >= afterMs)
    );
  }

  async #recover(): Promise<void> {
    if (this.#recovered || this.#journal === null) return;
    const recovering = this.#journal.recover();
    this.#committing = recovering;
    try {
      const { clicks, position } = await recovering;
      const recovered: ClickBuffer = new Map();
      for (const link of clicks) {
        const pending: PendingLink = {
          uncounted: link.uncounted,
          first: null,
          clicks: 0,
          more: null,
        };
        for (const row of link.rows) addRow(pending, this.#rowKeyOf(rowKey(row), row), row.clicks);
        recovered.set(link.linkId, pending);
      }
      mergeInto(recovered, this.#journaled);
      this.#journaled = recovered;
      this.#journaledSince = performance.now();
      this.#position = position;
      this.#recovered = true;
    } catch (error) {
      this.logger.error({ err: error }, 'the click journal could not be read; will retry');
      throw error;
    } finally {
      this.#committing = null;
    }
  }

  /**
   * Appends the buffer to the journal, in records of at most `APPEND_PART` links a turn
   * apart (encoding and writing one is synchronous on SQLite); a record's links move to
   * the journaled clicks once it is written. On failure, what was not written goes back
   * into the buffer.
   */
  async #append(journal: ClickJournal): Promise<void> {
    this.#lastAppend = performance.now();
    if (this.#buffer.size === 0) return;
    const batch = this.#buffer;
    this.#buffer = new Map();
    this.#inFlight = batch;
    try {
      while (batch.size > 0) {
        const clicks: LinkClicks[] = [];
        for (const [linkId, pending] of batch) {
          clicks.push(toLinkClicks(linkId, pending));
          if (clicks.length === APPEND_PART) break;
        }
        this.#position = await journal.append(clicks);
        if (this.#journaled.size === 0) this.#journaledSince = performance.now();
        for (const { linkId } of clicks) {
          const pending = batch.get(linkId)!;
          batch.delete(linkId);
          mergeLink(this.#journaled, linkId, pending);
        }
        if (batch.size > 0) await nextTurn();
      }
    } catch (error) {
      this.#restore(batch);
      this.logger.warn({ err: error, links: batch.size }, 'click journal write failed; will retry');
      throw error;
    } finally {
      this.#inFlight = null;
    }
  }

  #startFold(): void {
    if (this.#fold !== null || this.#journaled.size === 0) return;
    const batch = this.#journaled;
    this.#journaled = new Map();
    this.#fold = { batch, order: [...batch.keys()].sort(), next: 0, upto: this.#position };
  }

  /**
   * Folds in parts of links in id order, each its own transaction with a turn of the
   * event loop in between, so that a fold never holds the database (or the event loop)
   * for long; the flush interval's journal appends go on between parts. A failed part
   * leaves the fold where it was, to be resumed: a new fold may not start before this
   * one is trimmed, or a crash could count its clicks twice.
   */
  async #runFold(journal: ClickJournal): Promise<void> {
    const fold = this.#fold!;
    while (fold.next < fold.order.length) {
      await nextTurn();
      if (performance.now() - this.#lastAppend >= this.#intervalMs) await this.#append(journal);
      const ids = fold.order.slice(fold.next, fold.next + this.#foldPart);
      const part: LinkClicks[] = [];
      let clicks = 0;
      for (const linkId of ids) {
        const pending = fold.batch.get(linkId);
        if (pending === undefined) continue; // deleted meanwhile
        clicks += clicksOf(pending);
        part.push(toLinkClicks(linkId, pending));
      }
      const started = performance.now();
      const committing = journal.fold(part, fold.upto, ids.at(-1)!);
      this.#committing = committing;
      this.#epoch++;
      try {
        await committing;
        this.#adaptFoldPart(ids.length, performance.now() - started);
      } catch (error) {
        this.logger.warn({ err: error, links: part.length }, 'click fold failed; will resume');
        throw error;
      } finally {
        this.#committing = null;
        this.#epoch++;
      }
      for (const linkId of ids) fold.batch.delete(linkId);
      fold.next += ids.length;
      this.written += clicks;
    }
    await journal.trim(fold.upto);
    this.#fold = null;
  }

  /** Sizes the next fold part so that it takes about `FOLD_PART_MS`. */
  #adaptFoldPart(links: number, ms: number): void {
    const fitting = ms > 0 ? (links * FOLD_PART_MS) / ms : FOLD_PART_MAX;
    // Moves halfway at most, so that one slow or fast part does not swing it.
    const next = Math.min(Math.max(fitting, this.#foldPart / 2), this.#foldPart * 2);
    this.#foldPart = Math.round(Math.min(Math.max(next, FOLD_PART_MIN), FOLD_PART_MAX));
  }

  async #flushDirect(): Promise<void> {
    if (this.#buffer.size === 0) return;
    const batch = this.#buffer;
    this.#buffer = new Map();
    this.#inFlight = batch;
    this.#epoch++;
    try {
      // Written in parts, each its own transaction, with a turn of the event loop in
      // between: a flush of many links never holds the database (or, on SQLite, the
      // event loop) for long. A part leaves `batch` once committed, so a failure puts
      // back exactly what was not written. Parts go in id order: the rows of links
      // next to each other share pages, which each commit then writes once.
      const linkIds = [...batch.keys()].sort();
      for (let start = 0; start < linkIds.length; start += FLUSH_PART) {
        if (start > 0) await nextTurn();
        const part: LinkClicks[] = [];
        let clicks = 0;
        for (const linkId of linkIds.slice(start, start + FLUSH_PART)) {
          const pending = batch.get(linkId)!;
          clicks += clicksOf(pending);
          part.push(toLinkClicks(linkId, pending));
        }
        await this.store.addClicks(part);
        for (const { linkId } of part) batch.delete(linkId);
        this.written += clicks;
      }
    } catch (error) {
      this.#restore(batch);
      this.logger.warn({ err: error, links: batch.size }, 'click flush failed; will retry');
      throw error;
    } finally {
      this.#inFlight = null;
      this.#epoch++;
    }
  }

  /** Puts a failed batch back in front of what arrived meanwhile. */
  #restore(batch: ClickBuffer): void {
    const arrived = this.#buffer;
    this.#buffer = batch;
    mergeInto(this.#buffer, arrived);
  }
}
