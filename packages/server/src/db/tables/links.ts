import type { Generated } from 'kysely';

/** A short link. `code` is the generated code or the alias; both share one unique index. */
export interface LinksTable {
  /** Internal id (UUIDv7): statistics hang off it, so a re-used alias never inherits clicks. */
  id: string;
  code: string;
  /** The normalised target. */
  url: string;
  /** The user who made it; null for an anonymous link, which nobody may change. */
  owner_id: string | null;
  /** argon2id PHC string; null when the link has no password. */
  password_hash: string | null;
  redirect_type: number;
  /** ms since the epoch; null for a link that never expires. */
  expires_at: number | null;
  max_clicks: number | null;
  /**
   * Clicks written so far: a link with `max_clicks` is counted at redirect time (an
   * atomic conditional update), any other by the batched click flush.
   */
  clicks: Generated<number>;
  created_at: number;
  updated_at: number;
}

/** Aggregated clicks: one row per link, UTC day, referrer host, device class, browser and bot flag. */
export interface LinkClicksTable {
  link_id: string;
  /** UTC midnight of the day, in ms since the epoch. */
  day: number;
  referrer: string;
  device: string;
  browser: string;
  /** 1 for crawlers and other bots, else 0. */
  bot: number;
  clicks: number;
}

/** The token service's counters: each row hands out blocks of ids. */
export interface LinkKeyCountersTable {
  name: string;
  /** The first id not handed out yet. */
  next_id: number;
}

/** Row types of the links tables, as Kysely sees them. */
export interface LinksTables {
  links: LinksTable;
  link_clicks: LinkClicksTable;
  link_key_counters: LinkKeyCountersTable;
}
