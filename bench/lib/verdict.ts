/**
 * How a measured figure is judged against its target: a floor relative to the
 * baseline measured in the same run, or an absolute floor or ceiling. Ratios, not raw
 * numbers, are what carry over from this shared machine to a quiet one.
 */

/** What a figure must reach. */
export type Target =
  | { readonly kind: 'ratio-at-least'; readonly ratio: number }
  | { readonly kind: 'at-least'; readonly value: number; readonly unit: string }
  | { readonly kind: 'at-most'; readonly value: number; readonly unit: string };

/** A judged figure. */
export interface Verdict {
  /** figure / baseline, or null without a baseline. */
  readonly ratio: number | null;
  readonly pass: boolean;
}

/** Judges `figure` against `target`; a ratio target without a usable baseline fails. */
export function judge(figure: number, baseline: number | null, target: Target): Verdict {
  const ratio = baseline !== null && baseline > 0 ? figure / baseline : null;
  if (!Number.isFinite(figure)) return { ratio, pass: false };
  switch (target.kind) {
    case 'ratio-at-least':
      return { ratio, pass: ratio !== null && ratio >= target.ratio };
    case 'at-least':
      return { ratio, pass: figure >= target.value };
    case 'at-most':
      return { ratio, pass: figure <= target.value };
  }
}

/** The target as a table cell: `≥ 60% of baseline`, `≥ 5,000 links/s`, `< 10 ms`. */
export function describeTarget(target: Target): string {
  switch (target.kind) {
    case 'ratio-at-least':
      return `≥ ${formatPercent(target.ratio)} of baseline`;
    case 'at-least':
      return `≥ ${formatExact(target.value)} ${target.unit}`;
    case 'at-most':
      return `≤ ${formatExact(target.value)} ${target.unit}`;
  }
}

/** A value with thousands separators: integers whole, others to three significant figures. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** A value chosen by hand (a target), as written: `5,000`, `30`, `0.5`. */
function formatExact(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 6 });
}

/** A ratio as a percentage: 0.634 → `63%`. */
export function formatPercent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

/** Milliseconds with a precision that suits their size: `0.42 ms`, `12.3 ms`, `840 ms`. */
export function formatMs(ms: number): string {
  return `${formatNumber(ms)} ms`;
}

/**
 * CPU time a process spent per unit of work, in microseconds: the figure a busy machine
 * disturbs least, since it counts the time the process ran, not the time it waited.
 */
export function microsPerUnit(cores: number, perSecond: number): number {
  return perSecond > 0 ? (cores * 1e6) / perSecond : Number.NaN;
}

/** Bytes in KB (1,024), MB or GB. */
export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs >= 1024 ** 3) return `${formatNumber(bytes / 1024 ** 3)} GB`;
  if (abs >= 1024 ** 2) return `${formatNumber(bytes / 1024 ** 2)} MB`;
  if (abs >= 1024) return `${formatNumber(bytes / 1024)} KB`;
  return `${formatNumber(bytes)} B`;
}

/** `pass` or `FAIL`, loud enough to see in a table. */
export function formatVerdict(verdict: Verdict): string {
  return verdict.pass ? 'pass' : '**FAIL**';
}
