import {
  AppError,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  USERNAME_PATTERN,
} from '@switchboard/shared';
import { COMMON_PASSWORDS_TEXT } from './common-passwords.js';

/** Passwords nobody may choose, lower-case. */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  COMMON_PASSWORDS_TEXT.split('\n')
    .map((line) => line.trim().toLowerCase())
    .filter((line) => line.length > 0),
);

/**
 * Usernames nobody may register, because others would read them as the service
 * speaking (support scams start exactly this way).
 */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set([
  'admin',
  'administrator',
  'root',
  'system',
  'support',
  'security',
  'switchboard',
  'moderator',
  'official',
  'postmaster',
  'webmaster',
  'hostmaster',
  'abuse',
  'noreply',
  'no.reply',
  'no_reply',
  'null',
  'undefined',
  'anonymous',
  'everyone',
]);

/**
 * The stored form of a username: trimmed and lower-cased. Only ASCII letters are
 * folded, so that no other character (the Kelvin sign folds to `k`) can sneak into
 * the pattern check as a look-alike.
 */
export function normaliseUsername(raw: string): string {
  return raw.trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * The username to store for a registration, or `INVALID_USERNAME` saying which rule
 * it breaks.
 */
export function checkNewUsername(raw: string): string {
  const username = normaliseUsername(raw);
  if (!USERNAME_PATTERN.test(username)) {
    throw new AppError(
      'INVALID_USERNAME',
      'Usernames are 3 to 32 characters of a-z, 0-9, _ and ., starting with a letter.',
    );
  }
  if (username.includes('..') || username.endsWith('.')) {
    throw new AppError(
      'INVALID_USERNAME',
      'A username may not end with a dot or have two dots in a row.',
    );
  }
  if (RESERVED_USERNAMES.has(username)) {
    throw new AppError('INVALID_USERNAME', 'This username is reserved; choose another.');
  }
  return username;
}

/**
 * The form of a password that is hashed: Unicode NFKC, so that the same password
 * typed on two keyboards (composed or decomposed accents, full-width digits) matches.
 * NIST SP 800-63B recommends it.
 */
export function normalisePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * Accepts a new password or throws `WEAK_PASSWORD` saying why: 8 to 256 characters
 * (counted as Unicode code points), not the username, not one character repeated,
 * and not among the most common passwords.
 */
export function checkNewPassword(password: string, username: string): void {
  // Lengths count what the user typed; the other rules look at what is hashed.
  const length = [...password].length;
  const normalised = normalisePassword(password);
  if (length < PASSWORD_MIN_LENGTH) {
    throw new AppError(
      'WEAK_PASSWORD',
      `Passwords need at least ${PASSWORD_MIN_LENGTH} characters.`,
    );
  }
  if (length > PASSWORD_MAX_LENGTH) {
    throw new AppError(
      'WEAK_PASSWORD',
      `Passwords have at most ${PASSWORD_MAX_LENGTH} characters.`,
    );
  }
  const lower = normalised.toLowerCase();
  if (lower === normaliseUsername(username).toLowerCase()) {
    throw new AppError('WEAK_PASSWORD', 'The password may not be the username.');
  }
  if (new Set(lower).size === 1) {
    throw new AppError('WEAK_PASSWORD', 'The password may not be one character repeated.');
  }
  if (COMMON_PASSWORDS.has(lower)) {
    throw new AppError(
      'WEAK_PASSWORD',
      'This password is among the most common ones and is guessed first; choose another.',
    );
  }
}

/** How many passwords the common-password list holds (for tests and docs). */
export function commonPasswordCount(): number {
  return COMMON_PASSWORDS.size;
}
