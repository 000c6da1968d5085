import type { Breakdown } from '@switchboard/shared';
import { formatCount } from '../lib/dates.js';

/** One breakdown of clicks (referrers, devices, browsers) as a table with share bars. */
export function BreakdownTable({
  title,
  keyLabel,
  rows,
  total,
  nameOf = (key) => key,
  limit = 10,
}: {
  title: string;
  keyLabel: string;
  rows: readonly Breakdown[];
  total: number;
  nameOf?: (key: string) => string;
  limit?: number;
}) {
  const sorted = [...rows].sort((a, b) => b.clicks - a.clicks || a.key.localeCompare(b.key));
  const shown = sorted.slice(0, limit);
  const rest = sorted.slice(limit).reduce((sum, r) => sum + r.clicks, 0);
  const percent = (n: number) => (total === 0 ? 0 : Math.round((n / total) * 1000) / 10);
  return (
    <section className="card breakdown" aria-labelledby={`breakdown-${keyLabel}`}>
      <h2 id={`breakdown-${keyLabel}`} className="card__title">
        {title}
      </h2>
      {shown.length === 0 ? (
        <p className="muted">No clicks yet.</p>
      ) : (
        <table className="table breakdown__table">
          <thead>
            <tr>
              <th scope="col">{keyLabel}</th>
              <th scope="col" className="num">
                Clicks
              </th>
              <th scope="col" className="num">
                Share
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr key={row.key}>
                <th scope="row" className="breakdown__name">
                  <span className="breakdown__label" title={nameOf(row.key)}>
                    {nameOf(row.key)}
                  </span>
                  <span className="breakdown__bar" aria-hidden="true">
                    <span style={{ width: `${percent(row.clicks)}%` }} />
                  </span>
                </th>
                <td className="num">{formatCount(row.clicks)}</td>
                <td className="num">{percent(row.clicks)}%</td>
              </tr>
            ))}
            {rest > 0 && (
              <tr>
                <th scope="row" className="breakdown__name">
                  Others ({sorted.length - limit})
                </th>
                <td className="num">{formatCount(rest)}</td>
                <td className="num">{percent(rest)}%</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}
