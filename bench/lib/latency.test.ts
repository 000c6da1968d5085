import { describe, expect, it } from 'vitest';
import { LatencyRecorder, mergeEncoded } from './latency.js';

/** Records 1, 2, ... n milliseconds. */
function uniformMs(n: number): LatencyRecorder {
  const recorder = new LatencyRecorder();
  for (let i = 1; i <= n; i++) recorder.record(i);
  return recorder;
}

describe(LatencyRecorder.name, () => {
  it('answers percentiles within the histogram’s 0.1% precision', () => {
    const summary = uniformMs(1000).summary();
    expect(summary.count).toBe(1000);
    expect(summary.p50).toBeCloseTo(500, -0.3);
    expect(summary.p99).toBeCloseTo(990, -0.3);
    expect(Math.abs(summary.p50 - 500) / 500).toBeLessThan(0.002);
    expect(Math.abs(summary.p99 - 990) / 990).toBeLessThan(0.002);
    expect(Math.abs(summary.max - 1000) / 1000).toBeLessThan(0.002);
    expect(summary.mean).toBeCloseTo(500.5, 0);
  });

  it('keeps sub-millisecond latencies to the microsecond', () => {
    const recorder = new LatencyRecorder();
    for (let i = 0; i < 99; i++) recorder.record(0.25);
    recorder.record(12.5);
    const summary = recorder.summary();
    expect(summary.p50).toBeCloseTo(0.25, 3);
    expect(summary.p99).toBeCloseTo(0.25, 3);
    expect(recorder.percentile(100)).toBeCloseTo(12.5, 1);
  });

  it('finds the tail that one slow request in a hundred makes', () => {
    const recorder = new LatencyRecorder();
    for (let i = 0; i < 980; i++) recorder.record(1);
    for (let i = 0; i < 20; i++) recorder.record(40);
    expect(recorder.percentile(50)).toBeCloseTo(1, 2);
    expect(recorder.percentile(99)).toBeCloseTo(40, 1);
  });

  it('merges recorders encoded in other processes as if recorded in one', () => {
    const low = uniformMs(500);
    const high = new LatencyRecorder();
    for (let i = 501; i <= 1000; i++) high.record(i);
    const merged = mergeEncoded([low.encode(), high.encode(), new LatencyRecorder().encode()]);
    const direct = uniformMs(1000).summary();
    expect(merged.summary()).toEqual(direct);
  });

  it('summarises nothing as zeros, and forgets on reset', () => {
    expect(new LatencyRecorder().summary()).toEqual({
      count: 0,
      mean: 0,
      p50: 0,
      p90: 0,
      p99: 0,
      p999: 0,
      max: 0,
    });
    const recorder = uniformMs(10);
    recorder.reset();
    expect(recorder.count).toBe(0);
  });
});
