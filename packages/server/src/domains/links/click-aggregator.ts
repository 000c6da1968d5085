import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { ClickRow, ClickStore, LinkClicks } from './click-store.js';
import type { DeviceClass, VisitorClassifier } from './visitor-profile.js';

const DAY_MS = 86_400_000;
/** Links written per transaction of a flush. */
const FLUSH_PART = 500;

interface PendingRow {
  readonly day: number;
  readonly referrer: string;
  readonly device: DeviceClass;
  readonly browser: string;
  readonly bot: boolean;
  clicks: number;
}

interface PendingLink {
  /** Clicks not counted at redirect time, to add to the link's total. */
  uncounted: number;
  readonly rows: Map<string, PendingRow>;
}

type ClickBuffer = Map<string, PendingLink>;

/**
 * Counts clicks in memory and writes them in batches, so that redirects never wait
 * for the database. One flush runs at a time; a failed flush puts its clicks back to
 * be written by the next one. Nothing is lost on a clean shutdown (`close` flushes);
 * a crash loses at most the clicks of one flush interval.
 */
export class ClickAggregator {
  #buffer: ClickBuffer = new Map();
  /** The batch being written; still counted as pending until it is committed. */
  #inFlight: ClickBuffer | null = null;
  #flushing: Promise<void> = Promise.resolve();
  /** Changes whenever a flush starts or ends: readers use it to detect a race. */
  #epoch = 0;
  #timer: NodeJS.Timeout | null = null;
  #day = -1;
  #dayPrefix = '';
  /** Clicks written since start, for metrics. */
  written = 0;

  constructor(
    private readonly store: ClickStore,
    private readonly classifier: VisitorClassifier,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Starts flushing every `intervalMs`. */
  start(intervalMs: number): void {
    this.#timer ??= setInterval(() => {
      this.flush().catch(() => undefined);
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
    }
    const profile = this.classifier.classify(userAgent);
    const referrer = this.classifier.referrer(referer);
    let pending = this.#buffer.get(linkId);
    if (pending === undefined) {
      pending = { uncounted: 0, rows: new Map() };
      this.#buffer.set(linkId, pending);
    }
    if (!counted) pending.uncounted++;
    const key = this.#dayPrefix + profile.key + '\u0001' + referrer;
    const row = pending.rows.get(key);
    if (row !== undefined) row.clicks++;
    else {
      pending.rows.set(key, {
        day,
        referrer,
        device: profile.device,
        browser: profile.browser,
        bot: profile.bot,
        clicks: 1,
      });
    }
  }

  /** Clicks counted in memory and not written yet, for metrics. */
  get buffered(): number {
    let clicks = 0;
    for (const buffer of [this.#buffer, this.#inFlight]) {
      for (const pending of buffer?.values() ?? []) {
        for (const row of pending.rows.values()) clicks += row.clicks;
      }
    }
    return clicks;
  }

  /** Clicks of a link not yet added to its stored total (buffered or being written). */
  pendingTotal(linkId: string): number {
    return (
      (this.#buffer.get(linkId)?.uncounted ?? 0) + (this.#inFlight?.get(linkId)?.uncounted ?? 0)
    );
  }

  /** Every click of a link not yet written to its aggregates. */
  pendingRows(linkId: string): ClickRow[] {
    const rows: ClickRow[] = [];
    for (const buffer of [this.#buffer, this.#inFlight]) {
      const pending = buffer?.get(linkId);
      if (pending !== undefined) for (const row of pending.rows.values()) rows.push({ ...row });
    }
    return rows;
  }

  /** Changes whenever a flush starts or commits. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Resolves once no flush is running (a flush started meanwhile is waited for too). */
  async settled(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.#flushing;
      await current.catch(() => undefined);
    } while (current !== this.#flushing);
  }

  /** Drops what is buffered for a deleted link. */
  forget(linkId: string): void {
    this.#buffer.delete(linkId);
  }

  /** Writes everything buffered now; rejects (keeping the clicks) when the store fails. */
  flush(): Promise<void> {
    const run = this.#flushing.catch(() => undefined).then(() => this.#flushOnce());
    this.#flushing = run;
    return run;
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
          'clicks could not be written at shutdown',
        );
      }
    }
  }

  async #flushOnce(): Promise<void> {
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
        if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        const part: LinkClicks[] = [];
        let clicks = 0;
        for (const linkId of linkIds.slice(start, start + FLUSH_PART)) {
          const pending = batch.get(linkId)!;
          const rows = [...pending.rows.values()];
          for (const row of rows) clicks += row.clicks;
          part.push({ linkId, uncounted: pending.uncounted, rows });
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
    for (const [linkId, failed] of batch) {
      const current = this.#buffer.get(linkId);
      if (current === undefined) {
        this.#buffer.set(linkId, failed);
        continue;
      }
      current.uncounted += failed.uncounted;
      for (const [key, row] of failed.rows) {
        const existing = current.rows.get(key);
        if (existing !== undefined) existing.clicks += row.clicks;
        else current.rows.set(key, row);
      }
    }
  }
}
