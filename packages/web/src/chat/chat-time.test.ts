import { describe, expect, it } from 'vitest';
import {
  dayKey,
  dayLabel,
  daysBetween,
  groupByDay,
  listTimeLabel,
  presenceLabel,
} from './chat-time.js';

const at = (y: number, m: number, d: number, h = 12, min = 0) =>
  new Date(y, m - 1, d, h, min).getTime();
const NOW = at(2025, 6, 14, 15, 30); // a Saturday

describe(daysBetween.name, () => {
  it('counts calendar days, not 24-hour spans', () => {
    expect(daysBetween(at(2025, 6, 14, 0, 1), NOW)).toBe(0);
    expect(daysBetween(at(2025, 6, 13, 23, 59), at(2025, 6, 14, 0, 1))).toBe(1);
    expect(daysBetween(at(2025, 6, 7), NOW)).toBe(7);
  });
});

describe(dayLabel.name, () => {
  it('says Today, Yesterday, a weekday within the week, then a date', () => {
    expect(dayLabel(at(2025, 6, 14, 8), NOW, 'en-GB')).toBe('Today');
    expect(dayLabel(at(2025, 6, 13, 23), NOW, 'en-GB')).toBe('Yesterday');
    expect(dayLabel(at(2025, 6, 10), NOW, 'en-GB')).toBe('Tuesday');
    expect(dayLabel(at(2025, 6, 2), NOW, 'en-GB')).toBe('Mon 2 Jun');
    expect(dayLabel(at(2024, 12, 31), NOW, 'en-GB')).toBe('31 Dec 2024');
  });
});

describe(listTimeLabel.name, () => {
  it('shows a time for today and a day for older activity', () => {
    expect(listTimeLabel(at(2025, 6, 14, 9, 5), NOW, 'en-GB')).toBe('09:05');
    expect(listTimeLabel(at(2025, 6, 13), NOW, 'en-GB')).toBe('Yesterday');
    expect(listTimeLabel(at(2025, 6, 11), NOW, 'en-GB')).toBe('Wed');
    expect(listTimeLabel(at(2025, 1, 11), NOW, 'en-GB')).toBe('11 Jan 25');
  });
});

describe(presenceLabel.name, () => {
  it('says online, or when the contact was last seen', () => {
    expect(presenceLabel({ online: true, lastSeen: null }, NOW, 'en-GB')).toBe('online');
    expect(presenceLabel({ online: false, lastSeen: NOW - 10_000 }, NOW, 'en-GB')).toBe(
      'last seen just now',
    );
    expect(presenceLabel({ online: false, lastSeen: at(2025, 6, 14, 9, 5) }, NOW, 'en-GB')).toBe(
      'last seen today at 09:05',
    );
    expect(presenceLabel({ online: false, lastSeen: at(2025, 6, 13, 22, 0) }, NOW, 'en-GB')).toBe(
      'last seen yesterday at 22:00',
    );
    expect(presenceLabel({ online: false, lastSeen: at(2025, 6, 9, 8, 0) }, NOW, 'en-GB')).toBe(
      'last seen Monday at 08:00',
    );
  });

  it('says nothing when the contact hides it or nothing is known', () => {
    expect(presenceLabel({ online: false, lastSeen: null }, NOW)).toBeNull();
    expect(presenceLabel(undefined, NOW)).toBeNull();
  });
});

describe(groupByDay.name, () => {
  it('starts a new group at each local day and keeps the order', () => {
    const items = [at(2025, 6, 12, 23, 59), at(2025, 6, 13, 0, 0), at(2025, 6, 13, 18), NOW];
    const groups = groupByDay(items, (ts) => ts);
    expect(groups.map((g) => [g.day, g.items.length])).toEqual([
      [dayKey(items[0]!), 1],
      ['2025-06-13', 2],
      ['2025-06-14', 1],
    ]);
  });
});
