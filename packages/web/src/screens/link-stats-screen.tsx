import type { Link as ShortLink, LinkStats } from '@switchboard/shared';
import { useState } from 'react';
import { Link, useLocation } from 'wouter';
import { describeError } from '../api/error-messages.js';
import { ApiError } from '../api/http.js';
import { fetchLink, fetchStats } from '../api/links.js';
import { useSession } from '../api/session.js';
import { BreakdownTable } from '../components/breakdown.js';
import { ClicksChart } from '../components/clicks-chart.js';
import { CopyButton } from '../components/copy-button.js';
import { Dialog } from '../components/dialog.js';
import { QrPanel } from '../components/qr-panel.js';
import { PageHeader } from '../components/shell.js';
import { LoadError, Loading } from '../components/status.js';
import { clickBars, daysSince } from '../lib/clicks-series.js';
import { formatCount, formatDateTime } from '../lib/dates.js';
import { useResource } from '../lib/use-resource.js';
import { LinkFacts } from './shorten-screen.js';

/** Periods the page offers; only those shorter than the link's life, and always a week. */
const RANGES: readonly { days: number; label: string }[] = [
  { days: 7, label: '7 days' },
  { days: 30, label: '30 days' },
  { days: 90, label: '90 days' },
  { days: 365, label: '12 months' },
];

/** The longest window `GET /api/links/:code/stats?days=` serves. */
const STATS_DAYS_MAX = 366;

const DEVICE_NAMES: Record<string, string> = {
  desktop: 'Desktop',
  mobile: 'Mobile',
  tablet: 'Tablet',
  bot: 'Bot',
  other: 'Other',
};

const referrerName = (key: string) => (key === '(direct)' ? 'Direct' : key);
const deviceName = (key: string) => DEVICE_NAMES[key] ?? key;

/** A link's stats: total clicks, clicks over time, and where they came from. */
export function LinkStatsScreen({ code }: { code: string }) {
  const [link, linkControls] = useResource(code, async (signal) => {
    try {
      return await fetchLink(code, signal);
    } catch (error) {
      // An anonymous password-protected link keeps its target for those who know the
      // password, but its stats are public: show them without the target.
      if (error instanceof ApiError && error.code === 'LINK_PASSWORD_REQUIRED') return null;
      throw error;
    }
  });
  return (
    <div className="stack stack--lg">
      {link.status === 'ready' ? (
        <StatsView code={code} link={link.data} onLinkRefresh={linkControls.reload} />
      ) : (
        <PageHeader title={`Stats for ${code}`} documentTitle={`Stats for ${code}`} />
      )}
      {link.status === 'loading' && <Loading label="Loading the stats…" />}
      {link.status === 'error' && (
        <StatsError code={code} error={link.error} onRetry={linkControls.reload} />
      )}
    </div>
  );
}

function StatsError({
  code,
  error,
  onRetry,
}: {
  code: string;
  error: unknown;
  onRetry: () => void;
}) {
  const session = useSession();
  const [path] = useLocation();
  const apiCode = error instanceof ApiError ? error.code : null;
  if (apiCode === 'LINK_NOT_FOUND' || apiCode === 'NOT_FOUND') {
    return (
      <div className="state state--error" role="alert">
        <p className="state__title">No link “{code}”</p>
        <p>{describeError(error)}</p>
        <Link href={session === null ? '/' : '/links'} className="button button--secondary">
          {session === null ? 'Shorten a link' : 'Back to my links'}
        </Link>
      </div>
    );
  }
  if (apiCode === 'NOT_LINK_OWNER' || apiCode === 'FORBIDDEN' || apiCode === 'UNAUTHENTICATED') {
    return (
      <div className="state state--error" role="alert">
        <p className="state__title">These stats are private</p>
        <p>Only the account that created this link can see its stats.</p>
        {session === null ? (
          <Link href={`/login?next=${encodeURIComponent(path)}`} className="button button--primary">
            Sign in
          </Link>
        ) : (
          <p className="muted">You are signed in as {session.username}, which does not own it.</p>
        )}
      </div>
    );
  }
  return <LoadError error={error} onRetry={onRetry} />;
}

function StatsView({
  code,
  link,
  onLinkRefresh,
}: {
  code: string;
  /** Null for a link whose details are locked behind its password. */
  link: ShortLink | null;
  onLinkRefresh: () => void;
}) {
  const age = link === null ? Number.POSITIVE_INFINITY : daysSince(link.createdAt, Date.now());
  const ranges = RANGES.filter((r) => r.days < age || r.days === 7);
  // "Since created" when the link's whole life fits the window and no preset covers it.
  const showSince = age <= STATS_DAYS_MAX && age > 7 && !ranges.some((r) => r.days === age);
  const [days, setDays] = useState<number>(Math.min(30, Math.max(7, age)));
  const [stats, statsControls] = useResource(
    `${code}:${days}`,
    (signal) => fetchStats(code, days, signal),
    { keepPrevious: true },
  );
  const [qrOpen, setQrOpen] = useState(false);
  const display = link === null ? code : link.shortUrl.replace(/^https?:\/\//, '');
  const period = days === 365 ? 'the last 12 months' : `the last ${days} days`;
  const refreshing = statsControls.refreshing;

  const refresh = () => {
    onLinkRefresh();
    statsControls.reload();
  };

  return (
    <>
      <PageHeader title={display} documentTitle={`Stats for ${code}`} compact>
        {link === null ? (
          <p className="page-header__lead">
            This link is protected by a password: its destination is shown only to those who know
            it.
          </p>
        ) : (
          <>
            <p className="page-header__lead stats__target" title={link.url}>
              <span className="visually-hidden">Goes to </span>
              <span aria-hidden="true">→ </span>
              <a href={link.url} rel="noreferrer nofollow" target="_blank">
                {link.url}
              </a>
            </p>
            <p className="muted">Created {formatDateTime(link.createdAt)}</p>
            <LinkFacts link={link} />
          </>
        )}
        <div className="page-header__actions">
          {link !== null && <CopyButton value={link.shortUrl} className="button button--primary" />}
          <button
            type="button"
            className="button button--secondary"
            onClick={() => setQrOpen(true)}
          >
            QR code
          </button>
          <button
            type="button"
            className="button button--ghost"
            onClick={refresh}
            disabled={refreshing}
            aria-busy={refreshing}
          >
            {refreshing ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
      </PageHeader>

      {ranges.length === 1 && !showSince ? (
        <p className="period">Last 7 days</p>
      ) : (
        <fieldset className="segmented">
          <legend className="visually-hidden">Period</legend>
          {ranges.map((r) => (
            <label key={r.days} className="segmented__option">
              <input
                type="radio"
                name="range"
                value={r.days}
                checked={days === r.days}
                onChange={() => setDays(r.days)}
              />
              <span>{r.label}</span>
            </label>
          ))}
          {showSince && (
            <label className="segmented__option">
              <input
                type="radio"
                name="range"
                value="since"
                checked={days === Math.max(7, age)}
                onChange={() => setDays(Math.max(7, age))}
              />
              <span>Since created</span>
            </label>
          )}
        </fieldset>
      )}

      {stats.status === 'loading' && <Loading label="Loading the stats…" />}
      {stats.status === 'error' && (
        <StatsError code={code} error={stats.error} onRetry={statsControls.reload} />
      )}
      {stats.status === 'ready' && (
        <StatsBody
          linkClicks={link?.clicks ?? 0}
          stats={stats.data}
          period={period}
          busy={refreshing}
        />
      )}

      {qrOpen && (
        <Dialog open title={`QR code for ${code}`} onClose={() => setQrOpen(false)}>
          <QrPanel code={code} shortUrl={link?.shortUrl ?? display} />
        </Dialog>
      )}
    </>
  );
}

function StatsBody({
  linkClicks,
  stats,
  period,
  busy,
}: {
  /** The link's own count, which may be fresher than the stats' (clicks since). */
  linkClicks: number;
  stats: LinkStats;
  period: string;
  busy: boolean;
}) {
  const bars = clickBars(stats.byDay, stats.from, stats.to);
  const inPeriod = stats.byDay.reduce((sum, d) => sum + d.clicks, 0);
  const people = Math.max(0, inPeriod - stats.bots);
  const weekly = bars.some((b) => b.days > 1);
  return (
    <div className="stack stack--lg" aria-busy={busy}>
      <section aria-labelledby="totals-title">
        <h2 id="totals-title" className="visually-hidden">
          Totals
        </h2>
        <dl className="tiles">
          <div className="tile">
            <dt>Total clicks</dt>
            <dd data-testid="total-clicks">{formatCount(Math.max(stats.clicks, linkClicks))}</dd>
          </div>
          <div className="tile">
            <dt>In {period}</dt>
            <dd data-testid="period-clicks">{formatCount(inPeriod)}</dd>
          </div>
          <div className="tile">
            <dt>People</dt>
            <dd>{formatCount(people)}</dd>
          </div>
          <div className="tile">
            <dt>Bots and crawlers</dt>
            <dd data-testid="bot-clicks">{formatCount(stats.bots)}</dd>
          </div>
        </dl>
      </section>

      <section className="card" aria-labelledby="over-time-title">
        <h2 id="over-time-title" className="card__title card__title--spaced">
          Clicks per {weekly ? 'week' : 'day'}
        </h2>
        <ClicksChart
          bars={bars}
          title={`Clicks per ${weekly ? 'week' : 'day'}, ${period}`}
          emptyText={`No clicks in ${period} yet`}
        />
      </section>

      <div className="breakdowns">
        <BreakdownTable
          title="Referrers"
          keyLabel="Referrer"
          rows={stats.referrers}
          total={inPeriod}
          nameOf={referrerName}
        />
        <BreakdownTable
          title="Devices"
          keyLabel="Device"
          rows={stats.devices}
          total={inPeriod}
          nameOf={deviceName}
        />
        <BreakdownTable
          title="Browsers"
          keyLabel="Browser"
          rows={stats.browsers}
          total={inPeriod}
        />
      </div>
    </div>
  );
}
