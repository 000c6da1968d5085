import type { RedirectType } from '@switchboard/shared';

/** A link as stored. Times are ms since the epoch. */
export interface LinkRecord {
  readonly id: string;
  /** The generated code or the alias. */
  readonly code: string;
  readonly url: string;
  readonly ownerId: string | null;
  readonly passwordHash: string | null;
  readonly redirectType: RedirectType;
  readonly expiresAt: number | null;
  readonly maxClicks: number | null;
  /** Clicks written to the store (buffered ones are not included). */
  readonly clicks: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A link to insert: everything but the click count, which starts at 0. */
export type NewLink = Omit<LinkRecord, 'clicks'>;

/** The fields a change may set; absent ones stay as they are. */
export interface LinkChanges {
  readonly url?: string;
  readonly passwordHash?: string | null;
  readonly redirectType?: RedirectType;
  readonly expiresAt?: number | null;
  readonly maxClicks?: number | null;
  readonly updatedAt: number;
}

/** Where a page of an owner's links starts: after this link, newest first. */
export interface LinkCursor {
  readonly createdAt: number;
  readonly id: string;
}

/** The outcome of counting a click of a link that has a click limit. */
export type ClickVerdict = 'counted' | 'exhausted' | 'unlimited' | 'missing';

/** Stores links. */
export interface LinkStore {
  /** Inserts a link; throws `ALIAS_TAKEN` when another link has its code. */
  insert(link: NewLink): Promise<LinkRecord>;
  findByCode(code: string): Promise<LinkRecord | null>;
  /**
   * `findByCode` answered in the same turn, offered only by stores that can read
   * without waiting (SQLite): the redirect path then answers a cache miss without a
   * promise. Throws what `findByCode` would reject with.
   */
  readonly findByCodeNow?: (code: string) => LinkRecord | null;
  /** An owner's links, newest first (`createdAt`, then `id`, descending). */
  listByOwner(ownerId: string, limit: number, after: LinkCursor | null): Promise<LinkRecord[]>;
  /** Applies a change; null when the link no longer exists. */
  update(id: string, changes: LinkChanges): Promise<LinkRecord | null>;
  /** Deletes a link and its statistics; false when it did not exist. */
  delete(id: string): Promise<boolean>;
  /**
   * Counts one click of a link with a click limit, atomically and only while it is
   * under its limit, so that the limit holds however many requests (or nodes) race.
   * `unlimited` when the link has no limit (any more): count it the ordinary way.
   */
  countLimitedClick(id: string): Promise<ClickVerdict>;
}
