import { describe, expect, it } from 'vitest';
import { describeTarget, formatBytes, formatNumber, judge, microsPerUnit } from './verdict.js';

describe(judge.name, () => {
  it('passes a ratio target at or above the ratio of the baseline', () => {
    const target = { kind: 'ratio-at-least', ratio: 0.6 } as const;
    expect(judge(22_000, 36_000, target)).toEqual({ ratio: 22_000 / 36_000, pass: true });
    expect(judge(21_000, 36_000, target).pass).toBe(false);
    expect(judge(600, 1000, target).pass).toBe(true);
  });

  it('fails a ratio target without a usable baseline', () => {
    const target = { kind: 'ratio-at-least', ratio: 0.25 } as const;
    expect(judge(5000, null, target)).toEqual({ ratio: null, pass: false });
    expect(judge(5000, 0, target)).toEqual({ ratio: null, pass: false });
  });

  it('judges absolute floors and ceilings, and still reports the ratio', () => {
    expect(judge(5200, 20_000, { kind: 'at-least', value: 5000, unit: 'links/s' })).toEqual({
      ratio: 0.26,
      pass: true,
    });
    expect(judge(4999, null, { kind: 'at-least', value: 5000, unit: 'links/s' }).pass).toBe(false);
    expect(judge(9.9, null, { kind: 'at-most', value: 10, unit: 'ms' }).pass).toBe(true);
    expect(judge(10.1, null, { kind: 'at-most', value: 10, unit: 'ms' }).pass).toBe(false);
  });

  it('never passes a figure that is not a number', () => {
    expect(judge(Number.NaN, null, { kind: 'at-most', value: 10, unit: 'ms' }).pass).toBe(false);
    expect(judge(Infinity, 1, { kind: 'ratio-at-least', ratio: 0.5 }).pass).toBe(false);
  });
});

describe(describeTarget.name, () => {
  it('writes targets as a reader expects them', () => {
    expect(describeTarget({ kind: 'ratio-at-least', ratio: 0.4 })).toBe('≥ 40% of baseline');
    expect(describeTarget({ kind: 'at-least', value: 5000, unit: 'links/s' })).toBe(
      '≥ 5,000 links/s',
    );
    expect(describeTarget({ kind: 'at-most', value: 30, unit: 'KB' })).toBe('≤ 30 KB');
  });
});

describe(formatNumber.name, () => {
  it('keeps three significant figures or whole units', () => {
    expect(formatNumber(22_345.6)).toBe('22,346');
    expect(formatNumber(45.67)).toBe('45.7');
    expect(formatNumber(1.234)).toBe('1.23');
    expect(formatNumber(0.4567)).toBe('0.457');
    expect(formatNumber(30)).toBe('30');
    expect(formatNumber(10_000)).toBe('10,000');
  });
});

describe(microsPerUnit.name, () => {
  it('divides the CPU a process used by the work it did', () => {
    expect(microsPerUnit(0.5, 10_000)).toBe(50);
    expect(microsPerUnit(1, 2500)).toBe(400);
    expect(microsPerUnit(0.3, 0)).toBeNaN();
  });
});

describe(formatBytes.name, () => {
  it('uses binary units', () => {
    expect(formatBytes(10 * 1024)).toBe('10 KB');
    expect(formatBytes(10.5 * 1024)).toBe('10.5 KB');
    expect(formatBytes(1536)).toBe('1.50 KB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MB');
    expect(formatBytes(12)).toBe('12 B');
  });
});
