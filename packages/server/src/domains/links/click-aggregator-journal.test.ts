import { describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import { ClickAggregator, type FoldPolicy } from './click-aggregator.js';
import type { ClickJournal } from './click-journal.js';
import type { ClickStore, LinkClicks } from './click-store.js';
import { VisitorClassifier } from './visitor-profile.js';

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const DAY = 86_400_000;
const NEVER: FoldPolicy = { links: Number.MAX_SAFE_INTEGER, afterMs: Number.MAX_SAFE_INTEGER };

type Step = 'recover' | 'append' | 'fold' | 'trim';

/**
 * A journal in memory that behaves as the real one across crashes: records, the fold's
 * progress and the aggregates survive a "restart" (a new aggregator on the same one).
 */
function memoryJournal() {
  let records: Array<{ position: number; clicks: LinkClicks[] }> = [];
  let progress: { upto: number; through: string } | null = null;
  let position = 0;
  const totals = new Map<string, number>();
  const rowClicks = new Map<string, number>();
  const failing = new Map<Step, number>();
  const calls = new Map<Step, number>();
  const failingAt = new Map<Step, number>();
  let gate: Promise<void> | null = null;
  let openGate: () => void = () => undefined;

  const step = async (name: Step) => {
    calls.set(name, (calls.get(name) ?? 0) + 1);
    if (name === 'fold' && gate !== null) await gate;
    if (failingAt.get(name) === calls.get(name)) throw new Error(`${name} failed`);
    const left = failing.get(name) ?? 0;
    if (left > 0) {
      failing.set(name, left - 1);
      throw new Error(`${name} failed`);
    }
  };
  const copy = (clicks: readonly LinkClicks[]) =>
    clicks.map((c) => ({ ...c, rows: c.rows.map((r) => ({ ...r })) }));

  const journal: ClickJournal = {
    async recover() {
      await step('recover');
      const merged = new Map<string, LinkClicks>();
      for (const record of records) {
        for (const c of record.clicks) {
          if (progress !== null && record.position <= progress.upto && c.linkId <= progress.through)
            continue;
          const m = merged.get(c.linkId);
          merged.set(
            c.linkId,
            m === undefined
              ? copy([c])[0]!
              : {
                  ...m,
                  uncounted: m.uncounted + c.uncounted,
                  rows: [...m.rows, ...copy([c])[0]!.rows],
                },
          );
        }
      }
      const clicks = [...merged.values()];
      records = clicks.length === 0 ? [] : [{ position: ++position, clicks: copy(clicks) }];
      progress = null;
      return { clicks, position };
    },
    async append(clicks) {
      await step('append');
      records.push({ position: ++position, clicks: copy(clicks) });
      return position;
    },
    async fold(part, upto, through) {
      await step('fold');
      for (const c of part) {
        totals.set(c.linkId, (totals.get(c.linkId) ?? 0) + c.uncounted);
        for (const r of c.rows) rowClicks.set(c.linkId, (rowClicks.get(c.linkId) ?? 0) + r.clicks);
      }
      progress = { upto, through };
    },
    async trim(upto) {
      await step('trim');
      records = records.filter((r) => r.position > upto);
      progress = null;
    },
  };
  const store: ClickStore = {
    addClicks: () => Promise.reject(new Error('a store with a journal folds, it does not add')),
    statsOf: () => Promise.reject(new Error('not used')),
    journal,
  };
  return {
    store,
    totals,
    rowClicks,
    get records() {
      return records;
    },
    get progress() {
      return progress;
    },
    calls: (name: Step) => calls.get(name) ?? 0,
    fail(name: Step, times = 1) {
      failing.set(name, times);
    },
    /** Fails the `call`-th call of `name` (counting from the next), once. */
    failFrom(name: Step, call: number) {
      failingAt.set(name, (calls.get(name) ?? 0) + call);
    },
    /** Holds the next fold parts until `release`. */
    hold() {
      gate = new Promise((resolve) => (openGate = resolve));
    },
    release() {
      gate = null;
      openGate();
    },
  };
}

function aggregatorOn(store: ClickStore, policy: FoldPolicy = NEVER): ClickAggregator {
  return new ClickAggregator(
    store,
    new VisitorClassifier(),
    { now: () => 20_000 * DAY + 5_000 },
    createLogger('silent'),
    policy,
  );
}

function clickEach(aggregator: ClickAggregator, ids: readonly string[], times = 1): void {
  for (let i = 0; i < times; i++)
    for (const id of ids) aggregator.record(id, false, IPHONE, undefined);
}

const LINKS = Array.from({ length: 1_200 }, (_, i) => `link-${String(i).padStart(4, '0')}`);

describe(`${ClickAggregator.name} with a journal`, () => {
  it("appends each interval's clicks to the journal and counts them as pending until folded", async () => {
    const memory = memoryJournal();
    const aggregator = aggregatorOn(memory.store);
    aggregator.start(10);
    clickEach(aggregator, ['a', 'b'], 3);
    await expect.poll(() => memory.records.length, { timeout: 2_000, interval: 5 }).toBe(1);
    expect(memory.totals.size).toBe(0);
    expect(aggregator.pendingTotal('a')).toBe(3);
    expect(aggregator.pendingRows('b')).toEqual([expect.objectContaining({ clicks: 3 })]);
    expect(aggregator.buffered).toBe(6);
    await aggregator.close();
    expect(memory.totals).toEqual(
      new Map([
        ['a', 3],
        ['b', 3],
      ]),
    );
    expect(memory.records).toEqual([]);
    expect(aggregator.pendingTotal('a')).toBe(0);
  });

  it('folds on its own once the journal holds clicks of enough links, in link id order', async () => {
    const memory = memoryJournal();
    const aggregator = aggregatorOn(memory.store, { links: 3, afterMs: Number.MAX_SAFE_INTEGER });
    aggregator.start(10);
    clickEach(aggregator, ['c', 'a']);
    await expect.poll(() => memory.records.length, { timeout: 2_000, interval: 5 }).toBe(1);
    expect(memory.totals.size).toBe(0);
    clickEach(aggregator, ['b']);
    await expect.poll(() => memory.totals.size, { timeout: 2_000, interval: 5 }).toBe(3);
    expect([...memory.totals.keys()]).toEqual(['a', 'b', 'c']);
    await expect.poll(() => memory.records, { timeout: 2_000, interval: 5 }).toEqual([]);
    await aggregator.close();
  });

  it('folds clicks that have waited long enough', async () => {
    const memory = memoryJournal();
    const aggregator = aggregatorOn(memory.store, { links: Number.MAX_SAFE_INTEGER, afterMs: 30 });
    aggregator.start(10);
    clickEach(aggregator, ['a']);
    await expect.poll(() => memory.totals.get('a'), { timeout: 2_000, interval: 5 }).toBe(1);
    await aggregator.close();
  });

  it('folds everything on flush, with clicks still buffered', async () => {
    const memory = memoryJournal();
    const aggregator = aggregatorOn(memory.store);
    clickEach(aggregator, LINKS, 2);
    await aggregator.flush();
    expect(memory.calls('fold')).toBe(3);
    expect(LINKS.every((id) => memory.totals.get(id) === 2)).toBe(true);
    expect(memory.records).toEqual([]);
    expect(memory.progress).toBeNull();
    expect(aggregator.pendingTotal(LINKS[0]!)).toBe(0);
  });

  it('recovers the unfolded clicks at start, and readers wait for them', async () => {
    const crashed = memoryJournal();
    const seeded = aggregatorOn(crashed.store);
    seeded.start(10);
    clickEach(seeded, ['a', 'b'], 2);
    await expect.poll(() => crashed.records.length, { timeout: 2_000, interval: 5 }).toBe(1);
    // No close: another aggregator on the same journal is the restarted process.
    const restarted = aggregatorOn(crashed.store);
    await restarted.settled();
    expect(restarted.pendingTotal('a')).toBe(2);
    expect(restarted.pendingRows('b')).toEqual([expect.objectContaining({ clicks: 2 })]);
    expect(crashed.totals.size).toBe(0);
    await restarted.flush();
    expect(crashed.totals.get('a')).toBe(2);
    expect(crashed.totals.get('b')).toBe(2);
    expect(restarted.pendingTotal('a')).toBe(0);
  });

  it('resumes a failed fold where it stopped, counting each click once', async () => {
    const memory = memoryJournal();
    const aggregator = aggregatorOn(memory.store);
    clickEach(aggregator, LINKS);
    memory.failFrom('fold', 2);
    await expect(aggregator.flush()).rejects.toThrow('fold failed');
    // The first part is in the totals and no longer pending; the rest still is.
    const first = memory.totals.size;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(LINKS.length);
    expect([...memory.totals.keys()]).toEqual(LINKS.slice(0, first));
    const stored = (id: string) => memory.totals.get(id) ?? 0;
    expect(LINKS.every((id) => stored(id) + aggregator.pendingTotal(id) === 1)).toBe(true);
    // Clicks arriving meanwhile are journaled and folded later, never mixed into the fold.
    clickEach(aggregator, ['link-0000', 'link-1199']);
    await aggregator.flush();
    expect(memory.totals.get('link-0000')).toBe(2);
    expect(memory.totals.get('link-1199')).toBe(2);
    expect(LINKS.slice(1, -1).every((id) => memory.totals.get(id) === 1)).toBe(true);
    expect(memory.records).toEqual([]);
  });

  it('sizes fold parts from the time they take, so that none holds the event loop long', async () => {
    const memory = memoryJournal();
    const sizes: number[] = [];
    const originalFold = memory.store.journal!.fold.bind(memory.store.journal);
    // A slow store: 40 µs a link, synchronously, as a SQLite transaction is.
    memory.store.journal!.fold = (part, upto, through) => {
      sizes.push(part.length);
      const until = performance.now() + part.length * 0.04;
      while (performance.now() < until);
      return originalFold(part, upto, through);
    };
    const many = Array.from({ length: 3_000 }, (_, i) => `link-${String(i).padStart(5, '0')}`);
    const aggregator = aggregatorOn(memory.store);
    clickEach(aggregator, many);
    await aggregator.flush();
    expect(many.every((id) => memory.totals.get(id) === 1)).toBe(true);
    // 4 ms at 40 µs a link is 100 links: the first part (250) shrinks towards that.
    expect(sizes[0]).toBe(250);
    expect(Math.max(...sizes.slice(3))).toBeLessThanOrEqual(150);
    expect(Math.min(...sizes.slice(3, -1))).toBeGreaterThanOrEqual(50);
  });

  it('appends many links in several records, each counted pending exactly once', async () => {
    const memory = memoryJournal();
    const many = Array.from({ length: 4_500 }, (_, i) => `link-${String(i).padStart(5, '0')}`);
    const aggregator = aggregatorOn(memory.store);
    aggregator.start(10);
    clickEach(aggregator, many, 2);
    await expect.poll(() => memory.records.length, { timeout: 2_000, interval: 5 }).toBe(9);
    expect(memory.records.map((r) => r.clicks.length)).toEqual([
      500, 500, 500, 500, 500, 500, 500, 500, 500,
    ]);
    expect(many.every((id) => aggregator.pendingTotal(id) === 2)).toBe(true);
    expect(aggregator.buffered).toBe(9_000);
    await aggregator.close();
    expect(many.every((id) => memory.totals.get(id) === 2)).toBe(true);
    expect(memory.records).toEqual([]);
  });

  it('puts back into the buffer only the records of an append that were not written', async () => {
    const memory = memoryJournal();
    const many = Array.from({ length: 4_500 }, (_, i) => `link-${String(i).padStart(5, '0')}`);
    const aggregator = aggregatorOn(memory.store);
    clickEach(aggregator, many);
    memory.failFrom('append', 2);
    await expect(aggregator.flush()).rejects.toThrow('append failed');
    expect(memory.records.map((r) => r.clicks.length)).toEqual([500]);
    expect(many.every((id) => aggregator.pendingTotal(id) === 1)).toBe(true);
    await aggregator.flush();
    expect(many.every((id) => memory.totals.get(id) === 1)).toBe(true);
  });

  it('after a crash in the middle of a fold, a restart counts every click once', async () => {
    const memory = memoryJournal();
    const first = aggregatorOn(memory.store);
    clickEach(first, LINKS);
    // The first part commits, the second fails; then the process dies.
    let parts = 0;
    const originalFold = memory.store.journal!.fold.bind(memory.store.journal);
    memory.store.journal!.fold = (part, upto, through) => {
      parts++;
      return parts === 2
        ? Promise.reject(new Error('power cut'))
        : originalFold(part, upto, through);
    };
    await expect(first.flush()).rejects.toThrow('power cut');
    memory.store.journal!.fold = originalFold;
    const committed = memory.totals.size;
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(LINKS.length);

    const restarted = aggregatorOn(memory.store);
    clickEach(restarted, ['link-1199']);
    await restarted.flush();
    expect(LINKS.slice(0, -1).every((id) => memory.totals.get(id) === 1)).toBe(true);
    expect(memory.totals.get('link-1199')).toBe(2);
    expect(memory.records).toEqual([]);
  });

  it('keeps the clicks of a failed append and journals them with the next one', async () => {
    const memory = memoryJournal();
    const aggregator = aggregatorOn(memory.store);
    clickEach(aggregator, ['a'], 3);
    memory.fail('append');
    await expect(aggregator.flush()).rejects.toThrow('append failed');
    expect(aggregator.pendingTotal('a')).toBe(3);
    clickEach(aggregator, ['a']);
    await aggregator.flush();
    expect(memory.totals.get('a')).toBe(4);
  });

  it('retries a recovery that failed before anything else, and readers never wait forever', async () => {
    const memory = memoryJournal();
    memory.fail('recover');
    const aggregator = aggregatorOn(memory.store);
    await aggregator.settled();
    clickEach(aggregator, ['a']);
    await aggregator.flush();
    expect(memory.calls('recover')).toBe(2);
    expect(memory.totals.get('a')).toBe(1);
  });

  it('makes readers wait for a fold part being committed, and marks it in the epoch', async () => {
    const memory = memoryJournal();
    const aggregator = aggregatorOn(memory.store);
    await aggregator.settled();
    clickEach(aggregator, ['a'], 2);
    memory.hold();
    const epoch = aggregator.epoch;
    const flushing = aggregator.flush();
    await expect.poll(() => memory.calls('fold'), { timeout: 2_000, interval: 1 }).toBe(1);
    expect(aggregator.epoch).not.toBe(epoch);
    expect(aggregator.pendingTotal('a')).toBe(2);
    let settled = false;
    const reading = aggregator.settled().then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    memory.release();
    await reading;
    await flushing;
    expect(aggregator.pendingTotal('a')).toBe(0);
    expect(memory.totals.get('a')).toBe(2);
  });

  it('drops the pending clicks of a forgotten link, journaled or not', async () => {
    const memory = memoryJournal();
    const aggregator = aggregatorOn(memory.store);
    clickEach(aggregator, ['gone', 'kept']);
    aggregator.start(10);
    await expect.poll(() => memory.records.length, { timeout: 2_000, interval: 5 }).toBe(1);
    clickEach(aggregator, ['gone']);
    aggregator.forget('gone');
    expect(aggregator.pendingTotal('gone')).toBe(0);
    await aggregator.close();
    expect([...memory.totals.keys()]).toEqual(['kept']);
  });

  it('leaves the journal as it is when closing cannot fold', async () => {
    const memory = memoryJournal();
    const aggregator = aggregatorOn(memory.store);
    clickEach(aggregator, ['a'], 2);
    memory.fail('fold', 2);
    await aggregator.close();
    expect(memory.totals.size).toBe(0);
    expect(memory.records.flatMap((r) => r.clicks)).toEqual([
      expect.objectContaining({ linkId: 'a', uncounted: 2 }),
    ]);
    const restarted = aggregatorOn(memory.store);
    await restarted.flush();
    expect(memory.totals.get('a')).toBe(2);
  });
});
