/** Times as a messenger shows them: by day in the log, short in the list, "last seen". */

const DAY_MS = 24 * 60 * 60 * 1000;

/** The local calendar day of an instant, as `YYYY-MM-DD` (groups messages by day). */
export function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Whole local days between two instants' days (0: same day, 1: `ts` was yesterday). */
export function daysBetween(ts: number, now: number): number {
  const start = (t: number) => {
    const d = new Date(t);
    return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  };
  // Rounded, since a day with a daylight-saving change is 23 or 25 hours long.
  return Math.round((start(now) - start(ts)) / DAY_MS);
}

/** Formatters are costly to build: one per locale and style. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function format(
  locale: string | undefined,
  options: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let formatter = formatters.get(key);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, formatter);
  }
  return formatter;
}

/** "14:02" (or "2:02 PM"), in the reader's locale. */
export function timeLabel(ts: number, locale?: string): string {
  return format(locale, { timeStyle: 'short' }).format(ts);
}

/**
 * The heading of a day in a conversation: "Today", "Yesterday", a weekday within the
 * last week, then the date (with the year when it is not this year's).
 */
export function dayLabel(ts: number, now: number, locale?: string): string {
  const days = daysBetween(ts, now);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (days > 1 && days < 7) return format(locale, { weekday: 'long' }).format(ts);
  const sameYear = new Date(ts).getFullYear() === new Date(now).getFullYear();
  return format(
    locale,
    sameYear
      ? { weekday: 'short', day: 'numeric', month: 'short' }
      : { day: 'numeric', month: 'short', year: 'numeric' },
  ).format(ts);
}

/** The time of a conversation's last activity in the list: a time today, else a day. */
export function listTimeLabel(ts: number, now: number, locale?: string): string {
  const days = daysBetween(ts, now);
  if (days === 0) return timeLabel(ts, locale);
  if (days === 1) return 'Yesterday';
  if (days > 1 && days < 7) return format(locale, { weekday: 'short' }).format(ts);
  return format(locale, { day: 'numeric', month: 'short', year: '2-digit' }).format(ts);
}

/** A contact's presence, as the conversation header says it; null when unknown or hidden. */
export function presenceLabel(
  presence: { readonly online: boolean; readonly lastSeen: number | null } | undefined,
  now: number,
  locale?: string,
): string | null {
  if (presence === undefined) return null;
  if (presence.online) return 'online';
  if (presence.lastSeen === null) return null;
  const days = daysBetween(presence.lastSeen, now);
  const time = timeLabel(presence.lastSeen, locale);
  if (days <= 0) {
    return now - presence.lastSeen < 60_000 ? 'last seen just now' : `last seen today at ${time}`;
  }
  if (days === 1) return `last seen yesterday at ${time}`;
  return `last seen ${dayLabel(presence.lastSeen, now, locale)} at ${time}`;
}

/** Items grouped by local day, in their order (which must already be chronological). */
export function groupByDay<T>(
  items: readonly T[],
  tsOf: (item: T) => number,
): { day: string; ts: number; items: T[] }[] {
  const groups: { day: string; ts: number; items: T[] }[] = [];
  for (const item of items) {
    const ts = tsOf(item);
    const day = dayKey(ts);
    const last = groups.at(-1);
    if (last?.day === day) last.items.push(item);
    else groups.push({ day, ts, items: [item] });
  }
  return groups;
}
