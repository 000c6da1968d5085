import {
  ALIAS_PATTERN,
  AppError,
  isReservedPath,
  type CreateLinkRequest,
  type RedirectType,
} from '@switchboard/shared';
import { z } from 'zod';

const ISO_DATE_TIME = z.iso.datetime({ offset: true });
const REDIRECT_TYPES: ReadonlySet<number> = new Set([301, 302, 307, 308]);

/** A custom alias as given, or `INVALID_ALIAS` / `ALIAS_RESERVED`. */
export function checkAlias(alias: string): string {
  if (!ALIAS_PATTERN.test(alias)) {
    throw new AppError(
      'INVALID_ALIAS',
      'Aliases are 3 to 64 characters of letters, digits, `_` and `-`.',
    );
  }
  if (isReservedPath(alias)) {
    throw new AppError('ALIAS_RESERVED', `"${alias}" is a path the service uses itself.`);
  }
  return alias;
}

/** `expiresAt` in ms: null when absent or null, else a future ISO 8601 date-time. */
export function parseExpiry(value: string | null | undefined, now: number): number | null {
  if (value === undefined || value === null) return null;
  const at = ISO_DATE_TIME.safeParse(value).success ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(at)) {
    throw new AppError(
      'INVALID_EXPIRY',
      '`expiresAt` must be an ISO 8601 date-time with a time zone, e.g. 2030-01-31T12:00:00Z.',
    );
  }
  if (at <= now) throw new AppError('INVALID_EXPIRY', '`expiresAt` must be in the future.');
  return at;
}

/** `maxClicks`: null when absent or null, else a positive integer. */
export function checkMaxClicks(value: number | null | undefined): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new AppError('INVALID_MAX_CLICKS', '`maxClicks` must be a positive integer.');
  }
  return value;
}

/** `redirectType`: 302 when absent, else one of 301, 302, 307, 308. */
export function checkRedirectType(value: CreateLinkRequest['redirectType']): RedirectType {
  if (value === undefined) return 302;
  if (!REDIRECT_TYPES.has(value)) {
    throw new AppError('INVALID_REDIRECT_TYPE', '`redirectType` must be 301, 302, 307 or 308.');
  }
  return value as RedirectType;
}
