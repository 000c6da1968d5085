/** Turning a link's per-day counts into the bars of a readable chart. */

/** One bar: the first UTC day it covers, how many days, and their clicks. */
export interface ClickBar {
  readonly day: string;
  readonly days: number;
  readonly clicks: number;
}

const DAY_MS = 86_400_000;

/** The UTC calendar day (`YYYY-MM-DD`) of an instant: the server counts clicks by UTC day. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function dayMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/** Whole days from a link's creation to `now`, counting both ends (a new link is 1 day old). */
export function daysSince(iso: string, now: number): number {
  const created = dayMs(utcDay(Date.parse(iso)));
  const today = dayMs(utcDay(now));
  return Number.isFinite(created) ? Math.max(1, Math.round((today - created) / DAY_MS) + 1) : 1;
}

/**
 * Every day from `from` to `to` with its clicks (zero where none were sent), grouped into
 * weeks when there are too many days for a bar each to stay readable.
 */
export function clickBars(
  byDay: readonly { day: string; clicks: number }[],
  from: string,
  to: string,
  maxDailyBars = 92,
): ClickBar[] {
  const counts = new Map<string, number>();
  for (const { day, clicks } of byDay) counts.set(day, (counts.get(day) ?? 0) + clicks);
  const start = dayMs(from);
  const end = dayMs(to);
  if (!(end >= start)) return [];
  const total = Math.round((end - start) / DAY_MS) + 1;
  const size = total > maxDailyBars ? 7 : 1;
  const bars: ClickBar[] = [];
  for (let offset = 0; offset < total; offset += size) {
    const days = Math.min(size, total - offset);
    let clicks = 0;
    for (let i = 0; i < days; i += 1) {
      clicks += counts.get(utcDay(start + (offset + i) * DAY_MS)) ?? 0;
    }
    bars.push({ day: utcDay(start + offset * DAY_MS), days, clicks });
  }
  return bars;
}

/** Gridline values from zero: steps of 1, 2 or 5 times a power of ten, whole numbers. */
export function niceTicks(max: number, count = 4): number[] {
  if (max <= 0) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 1);
  const ticks: number[] = [];
  for (let v = 0; ; v += step) {
    ticks.push(v);
    if (v >= max) break;
  }
  return ticks;
}

/** Indexes of the bars to label on the x axis, evenly spaced, starting with the first. */
export function labelledIndexes(barCount: number, maxLabels: number): number[] {
  if (barCount === 0) return [];
  const every = Math.max(1, Math.ceil(barCount / Math.max(1, maxLabels)));
  const indexes: number[] = [];
  for (let i = 0; i < barCount; i += every) indexes.push(i);
  return indexes;
}
