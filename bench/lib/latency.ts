import * as hdr from 'hdr-histogram-js';

/**
 * Latencies recorded in an HDR histogram at microsecond resolution (3 significant
 * digits, so a percentile is within 0.1% of the true sample), mergeable across the
 * load generator's processes through its compressed encoding.
 */

/** Percentiles of a set of latencies, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

// An hour in microseconds: far above anything a run can see, and autoResize covers the rest.
const HIGHEST_MICROS = 3_600_000_000;

function newHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_MICROS,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
}

/** Records latencies and answers their percentiles. */
export class LatencyRecorder {
  private readonly histogram = newHistogram();

  /** Records one latency given in milliseconds (fractions kept to the microsecond). */
  record(ms: number): void {
    // Clamped to 1 µs: a clock read twice within a microsecond is not a zero latency.
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  /** How many latencies were recorded. */
  get count(): number {
    return this.histogram.totalCount;
  }

  /** Adds every latency of another recorder, or of one encoded by `encode` elsewhere. */
  merge(other: LatencyRecorder | string): void {
    if (typeof other === 'string') {
      if (other === '') return;
      const decoded = hdr.decodeFromCompressedBase64(other);
      this.histogram.add(decoded);
      decoded.destroy();
    } else {
      this.histogram.add(other.histogram);
    }
  }

  /** A compact string to send to another process; '' when empty. */
  encode(): string {
    return this.histogram.totalCount === 0 ? '' : hdr.encodeIntoCompressedBase64(this.histogram);
  }

  /** The latency at `percentile` (0 to 100) in milliseconds; 0 when empty. */
  percentile(percentile: number): number {
    if (this.histogram.totalCount === 0) return 0;
    return this.histogram.getValueAtPercentile(percentile) / 1000;
  }

  /** Count, mean and the usual percentiles, in milliseconds. */
  summary(): LatencySummary {
    const h = this.histogram;
    if (h.totalCount === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
    return {
      count: h.totalCount,
      mean: h.mean / 1000,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      // The bucket's top, as for percentiles, so that a merged recorder reads the same.
      max: this.percentile(100),
    };
  }

  /** Forgets every recorded latency. */
  reset(): void {
    this.histogram.reset();
  }
}

/** Merges encoded recorders (from several load-generator processes) into one. */
export function mergeEncoded(encoded: readonly string[]): LatencyRecorder {
  const merged = new LatencyRecorder();
  for (const e of encoded) merged.merge(e);
  return merged;
}
