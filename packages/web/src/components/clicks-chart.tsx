import { useEffect, useId, useRef, useState, type RefObject } from 'react';
import { labelledIndexes, niceTicks, type ClickBar } from '../lib/clicks-series.js';
import { formatCount } from '../lib/dates.js';

const HEIGHT = 220;
const MARGIN = { top: 12, right: 8, bottom: 28, left: 40 };
const MAX_BAR_WIDTH = 44;

const dayLabel = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});
const monthLabel = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});
const fullDay = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

const dateOf = (day: string) => new Date(`${day}T00:00:00Z`);

/** How a bar is named in tooltips, the table and the summary: a day, or a week from a day. */
export function barName(bar: ClickBar): string {
  const start = fullDay.format(dateOf(bar.day));
  return bar.days === 1 ? start : `Week of ${start}`;
}

/** Tracks an element's width, so the chart is drawn at its real size (text stays legible). */
function useWidth<T extends HTMLElement>(): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = ref.current;
    if (element === null) return undefined;
    setWidth(element.clientWidth);
    const observer = new ResizeObserver((entries) => {
      const entry = entries[0];
      if (entry !== undefined) setWidth(Math.floor(entry.contentRect.width));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/**
 * Clicks over time as an SVG bar chart, drawn here (no chart library: a few dozen lines
 * and nothing to download). Screen readers get a summary, and everyone can open the
 * same numbers as a table.
 */
export function ClicksChart({
  bars,
  title,
  emptyText,
}: {
  bars: readonly ClickBar[];
  title: string;
  /** Shown over the empty chart when there is not a single click. */
  emptyText: string;
}) {
  const [frameRef, width] = useWidth<HTMLDivElement>();
  const [showTable, setShowTable] = useState(false);
  const titleId = useId();
  const descId = useId();
  const tableId = useId();

  const total = bars.reduce((sum, b) => sum + b.clicks, 0);
  const max = bars.reduce((m, b) => Math.max(m, b.clicks), 0);
  const busiest = bars.find((b) => b.clicks === max && max > 0);
  const weekly = bars.some((b) => b.days > 1);
  const first = bars[0];
  const last = bars.at(-1);
  const summary =
    first === undefined || last === undefined
      ? 'No data.'
      : `${formatCount(total)} ${total === 1 ? 'click' : 'clicks'} from ${fullDay.format(dateOf(first.day))} to ${fullDay.format(dateOf(last.day))}${
          busiest === undefined
            ? ''
            : `; the busiest ${weekly ? 'week was the week of' : 'day was'} ${fullDay.format(dateOf(busiest.day))} with ${formatCount(busiest.clicks)}`
        }.`;

  const ticks = niceTicks(max);
  const top = ticks.at(-1) ?? 1;
  const innerWidth = Math.max(0, width - MARGIN.left - MARGIN.right);
  const innerHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const slot = bars.length === 0 ? 0 : innerWidth / bars.length;
  const gap = slot > 6 ? Math.max(1, slot * 0.2) : slot > 2 ? 1 : 0;
  const barWidth = Math.min(MAX_BAR_WIDTH, Math.max(1, slot - gap));
  const y = (v: number) => MARGIN.top + innerHeight - (v / top) * innerHeight;
  const labels = labelledIndexes(bars.length, Math.floor(innerWidth / 76));

  return (
    <figure className="chart">
      <div className="chart__frame" ref={frameRef}>
        {width > 0 && (
          <svg
            width={width}
            height={HEIGHT}
            viewBox={`0 0 ${width} ${HEIGHT}`}
            role="img"
            aria-labelledby={`${titleId} ${descId}`}
            className="chart__svg"
          >
            <title id={titleId}>{title}</title>
            <desc id={descId}>{summary}</desc>
            {ticks.map((tick) => (
              <g key={tick} className="chart__grid">
                <line x1={MARGIN.left} x2={width - MARGIN.right} y1={y(tick)} y2={y(tick)} />
                <text x={MARGIN.left - 8} y={y(tick)} dy="0.32em" textAnchor="end">
                  {formatCount(tick)}
                </text>
              </g>
            ))}
            {bars.map((bar, i) => {
              const h = (bar.clicks / top) * innerHeight;
              const x = MARGIN.left + i * slot + (slot - barWidth) / 2;
              return (
                <rect
                  key={bar.day}
                  className="chart__bar"
                  x={x}
                  y={y(bar.clicks)}
                  width={barWidth}
                  // Zero-click days keep a hairline so the time axis reads as continuous.
                  height={Math.max(h, bar.clicks > 0 ? 2 : 0.75)}
                  rx={Math.min(3, barWidth / 4)}
                  data-zero={bar.clicks === 0 || undefined}
                >
                  <title>{`${barName(bar)}: ${formatCount(bar.clicks)} ${bar.clicks === 1 ? 'click' : 'clicks'}`}</title>
                </rect>
              );
            })}
            {labels.map((i) => {
              const bar = bars[i];
              if (bar === undefined) return null;
              const x = MARGIN.left + i * slot + slot / 2;
              return (
                <text
                  key={bar.day}
                  className="chart__axis"
                  x={Math.max(MARGIN.left + 16, Math.min(x, width - MARGIN.right - 16))}
                  y={HEIGHT - 8}
                  textAnchor="middle"
                >
                  {(weekly ? monthLabel : dayLabel).format(dateOf(bar.day))}
                </text>
              );
            })}
          </svg>
        )}
        {total === 0 && (
          <p className="chart__empty" aria-hidden="true">
            {emptyText}
          </p>
        )}
      </div>
      <figcaption className="chart__caption">
        <span>{summary}</span>
        <button
          type="button"
          className="button button--ghost button--small"
          aria-expanded={showTable}
          aria-controls={tableId}
          onClick={() => setShowTable((v) => !v)}
        >
          {showTable ? 'Hide table' : 'Show as table'}
        </button>
      </figcaption>
      <div id={tableId} hidden={!showTable} className="chart__table">
        {showTable && (
          <table className="table">
            <caption className="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">{weekly ? 'Week' : 'Day'}</th>
                <th scope="col" className="num">
                  Clicks
                </th>
              </tr>
            </thead>
            <tbody>
              {bars.map((bar) => (
                <tr key={bar.day}>
                  <th scope="row">{barName(bar)}</th>
                  <td className="num">{formatCount(bar.clicks)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </figure>
  );
}
