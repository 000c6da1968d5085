import { describe, expect, it } from 'vitest';
import { formatRelative, fromLocalInputValue, toLocalInputValue } from './dates.js';

describe(fromLocalInputValue.name, () => {
  it('round-trips with toLocalInputValue to the minute', () => {
    const date = new Date(2025, 5, 15, 9, 45);
    expect(fromLocalInputValue(toLocalInputValue(date))).toBe(date.toISOString());
  });

  it('refuses incomplete values and dates the calendar does not have', () => {
    expect(fromLocalInputValue('')).toBeNull();
    expect(fromLocalInputValue('2025-06-15')).toBeNull();
    expect(fromLocalInputValue('2025-02-31T10:00')).toBeNull();
  });
});

describe(formatRelative.name, () => {
  it('says how long ago in the largest whole unit', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    expect(formatRelative('2025-06-01T11:59:50Z', now)).toBe('just now');
    expect(formatRelative('2025-06-01T09:00:00Z', now)).toMatch(/3 hours ago/);
    expect(formatRelative('2025-06-03T12:00:00Z', now)).toMatch(/in 2 days/);
  });
});
