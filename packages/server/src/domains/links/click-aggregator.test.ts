import { describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import { ClickAggregator } from './click-aggregator.js';
import type { ClickStore, LinkClicks } from './click-store.js';
import { VisitorClassifier } from './visitor-profile.js';

const CHROME_DESKTOP =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const DAY = 86_400_000;

/** A store that records the batches it was given, and fails on demand. */
function recordingStore() {
  const batches: LinkClicks[][] = [];
  let failures = 0;
  let release: (() => void) | null = null;
  const store: ClickStore = {
    async addClicks(batch) {
      if (release === null && failures > 0) {
        failures--;
        throw new Error('database down');
      }
      if (release !== null) await new Promise<void>((resolve) => (release = resolve));
      batches.push(batch.map((b) => ({ ...b, rows: [...b.rows] })));
    },
    statsOf: () => Promise.reject(new Error('not used')),
  };
  return {
    store,
    batches,
    failNext(n: number) {
      failures = n;
    },
    /** Makes the next flush wait until `unblock` is called. */
    block() {
      release = () => undefined;
    },
    unblock() {
      const r = release;
      release = null;
      r?.();
    },
    total(linkId: string) {
      return batches
        .flat()
        .filter((b) => b.linkId === linkId)
        .reduce((s, b) => s + b.uncounted, 0);
    },
  };
}

function setup(now = 20_000 * DAY + 5_000) {
  const recording = recordingStore();
  const clock = { now: () => now, set: (t: number) => (now = t) };
  const aggregator = new ClickAggregator(
    recording.store,
    new VisitorClassifier(),
    clock,
    createLogger('silent'),
  );
  return { ...recording, aggregator, clock };
}

describe(ClickAggregator.name, () => {
  it('groups clicks per link, day, referrer host, device, browser and bot flag', async () => {
    const { aggregator, batches } = setup();
    aggregator.record('a', false, CHROME_DESKTOP, 'https://news.example/item?id=1');
    aggregator.record('a', false, CHROME_DESKTOP, 'https://NEWS.example/other');
    aggregator.record('a', false, IPHONE, undefined);
    aggregator.record('a', false, GOOGLEBOT, undefined);
    aggregator.record('b', false, undefined, undefined);
    await aggregator.flush();
    expect(batches).toHaveLength(1);
    const a = batches[0]!.find((b) => b.linkId === 'a')!;
    expect(a.uncounted).toBe(4);
    expect(a.rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          referrer: 'news.example',
          device: 'desktop',
          browser: 'Chrome',
          bot: false,
          clicks: 2,
        }),
        expect.objectContaining({ referrer: '(direct)', device: 'mobile', clicks: 1 }),
        expect.objectContaining({ device: 'bot', browser: 'Googlebot', bot: true, clicks: 1 }),
      ]),
    );
    expect(a.rows).toHaveLength(3);
    const b = batches[0]!.find((x) => x.linkId === 'b')!;
    expect(b.rows).toEqual([expect.objectContaining({ device: 'other', referrer: '(direct)' })]);
  });

  it('splits clicks at UTC midnight', async () => {
    const { aggregator, batches, clock } = setup(20_000 * DAY - 1);
    aggregator.record('a', false, IPHONE, undefined);
    clock.set(20_000 * DAY);
    aggregator.record('a', false, IPHONE, undefined);
    await aggregator.flush();
    expect(batches[0]![0]!.rows.map((r) => r.day).sort()).toEqual([19_999 * DAY, 20_000 * DAY]);
  });

  it('adds clicks counted at redirect time to the breakdown only', async () => {
    const { aggregator, batches } = setup();
    aggregator.record('limited', true, IPHONE, undefined);
    aggregator.record('limited', true, IPHONE, undefined);
    expect(aggregator.pendingTotal('limited')).toBe(0);
    await aggregator.flush();
    expect(batches[0]).toEqual([
      { linkId: 'limited', uncounted: 0, rows: [expect.objectContaining({ clicks: 2 })] },
    ]);
  });

  it('reports buffered clicks until they are written, and none after', async () => {
    const { aggregator, total } = setup();
    for (let i = 0; i < 7; i++) aggregator.record('a', false, IPHONE, undefined);
    expect(aggregator.pendingTotal('a')).toBe(7);
    expect(aggregator.pendingRows('a')).toEqual([expect.objectContaining({ clicks: 7 })]);
    await aggregator.flush();
    expect(aggregator.pendingTotal('a')).toBe(0);
    expect(aggregator.pendingRows('a')).toEqual([]);
    expect(total('a')).toBe(7);
  });

  it('counts a batch being written as pending until it is committed', async () => {
    const recording = setup();
    const { aggregator } = recording;
    aggregator.record('a', false, IPHONE, undefined);
    recording.block();
    const epoch = aggregator.epoch;
    const flushing = aggregator.flush();
    await Promise.resolve();
    await Promise.resolve();
    aggregator.record('a', false, IPHONE, undefined);
    expect(aggregator.pendingTotal('a')).toBe(2);
    expect(aggregator.epoch).not.toBe(epoch);
    recording.unblock();
    await flushing;
    expect(aggregator.pendingTotal('a')).toBe(1);
  });

  it('keeps the clicks of a failed flush and writes them with the next one', async () => {
    const { aggregator, failNext, total } = setup();
    for (let i = 0; i < 3; i++) aggregator.record('a', false, IPHONE, undefined);
    failNext(1);
    await expect(aggregator.flush()).rejects.toThrow('database down');
    expect(aggregator.pendingTotal('a')).toBe(3);
    aggregator.record('a', false, IPHONE, undefined);
    await aggregator.flush();
    expect(total('a')).toBe(4);
    expect(aggregator.pendingTotal('a')).toBe(0);
  });

  it('writes a large flush in parts, and after a failed part puts back only what was not written', async () => {
    const written = new Map<string, number>();
    let calls = 0;
    const store: ClickStore = {
      addClicks(batch) {
        calls++;
        if (calls === 2) return Promise.reject(new Error('disk full'));
        for (const b of batch) written.set(b.linkId, (written.get(b.linkId) ?? 0) + b.uncounted);
        return Promise.resolve();
      },
      statsOf: () => Promise.reject(new Error('not used')),
    };
    const aggregator = new ClickAggregator(
      store,
      new VisitorClassifier(),
      { now: () => 20_000 * DAY },
      createLogger('silent'),
    );
    const ids = Array.from({ length: 1_200 }, (_, i) => `link-${i}`);
    for (const id of ids) aggregator.record(id, false, IPHONE, undefined);
    await expect(aggregator.flush()).rejects.toThrow('disk full');
    expect(calls).toBe(2);
    const writtenFirst = ids.filter((id) => written.has(id));
    expect(writtenFirst.length).toBeGreaterThan(0);
    expect(writtenFirst.length).toBeLessThan(ids.length);
    for (const id of ids) expect(aggregator.pendingTotal(id)).toBe(written.has(id) ? 0 : 1);
    await aggregator.flush();
    expect(ids.every((id) => written.get(id) === 1)).toBe(true);
  });

  it('writes everything left when closed, retrying once', async () => {
    const { aggregator, failNext, total } = setup();
    for (let i = 0; i < 5; i++) aggregator.record('a', false, IPHONE, undefined);
    failNext(1);
    await aggregator.close();
    expect(total('a')).toBe(5);
  });

  it('flushes on its own every interval', async () => {
    const { aggregator, total } = setup();
    aggregator.start(10);
    aggregator.record('a', false, IPHONE, undefined);
    await expect.poll(() => total('a'), { timeout: 2_000, interval: 5 }).toBe(1);
    await aggregator.close();
  });

  it('drops what is buffered for a forgotten link', async () => {
    const { aggregator, batches } = setup();
    aggregator.record('gone', false, IPHONE, undefined);
    aggregator.record('kept', false, IPHONE, undefined);
    aggregator.forget('gone');
    await aggregator.flush();
    expect(batches[0]!.map((b) => b.linkId)).toEqual(['kept']);
  });

  it('does nothing when there is nothing to write', async () => {
    const { aggregator, batches } = setup();
    await aggregator.flush();
    expect(batches).toEqual([]);
  });
});
