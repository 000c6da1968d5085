import { describe, expect, it } from 'vitest';
import { clickBars, daysSince, labelledIndexes, niceTicks } from './clicks-series.js';

describe(clickBars.name, () => {
  it('gives one bar per day, zero where no click was counted', () => {
    const bars = clickBars([{ day: '2025-03-02', clicks: 4 }], '2025-03-01', '2025-03-03');
    expect(bars).toEqual([
      { day: '2025-03-01', days: 1, clicks: 0 },
      { day: '2025-03-02', days: 1, clicks: 4 },
      { day: '2025-03-03', days: 1, clicks: 0 },
    ]);
  });

  it('draws a single day as a single bar', () => {
    expect(clickBars([{ day: '2025-03-01', clicks: 1 }], '2025-03-01', '2025-03-01')).toEqual([
      { day: '2025-03-01', days: 1, clicks: 1 },
    ]);
  });

  it('groups a year into weeks and keeps every click', () => {
    const byDay = Array.from({ length: 366 }, (_, i) => ({
      day: new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10),
      clicks: i % 3,
    }));
    const bars = clickBars(byDay, '2024-01-01', '2024-12-31');
    expect(bars).toHaveLength(53);
    expect(bars.every((b, i) => b.days === (i === 52 ? 2 : 7))).toBe(true);
    const total = byDay.reduce((s, d) => s + d.clicks, 0);
    expect(bars.reduce((s, b) => s + b.clicks, 0)).toBe(total);
  });

  it('crosses a daylight-saving change without losing or doubling a day', () => {
    const bars = clickBars([], '2025-03-28', '2025-04-02');
    expect(bars.map((b) => b.day)).toEqual([
      '2025-03-28',
      '2025-03-29',
      '2025-03-30',
      '2025-03-31',
      '2025-04-01',
      '2025-04-02',
    ]);
  });

  it('returns no bars for a window that ends before it starts', () => {
    expect(clickBars([], '2025-03-02', '2025-03-01')).toEqual([]);
  });
});

describe(niceTicks.name, () => {
  it('always has a scale, even without clicks', () => {
    expect(niceTicks(0)).toEqual([0, 1]);
  });

  it('uses whole-number steps for small counts', () => {
    expect(niceTicks(1)).toEqual([0, 1]);
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
  });

  it('uses round steps that reach the maximum', () => {
    expect(niceTicks(97)).toEqual([0, 50, 100]);
    expect(niceTicks(1234)).toEqual([0, 500, 1000, 1500]);
    const ticks = niceTicks(87_654);
    expect(ticks.at(-1)).toBeGreaterThanOrEqual(87_654);
    expect(ticks.length).toBeLessThanOrEqual(6);
  });
});

describe(labelledIndexes.name, () => {
  it('labels every bar when there is room', () => {
    expect(labelledIndexes(5, 8)).toEqual([0, 1, 2, 3, 4]);
  });

  it('spaces labels evenly when there is not', () => {
    expect(labelledIndexes(30, 6)).toEqual([0, 5, 10, 15, 20, 25]);
  });
});

describe(daysSince.name, () => {
  it('counts a link made today as one day old', () => {
    const now = Date.parse('2025-03-01T23:00:00Z');
    expect(daysSince('2025-03-01T00:30:00Z', now)).toBe(1);
    expect(daysSince('2025-02-01T00:30:00Z', now)).toBe(29);
  });
});
