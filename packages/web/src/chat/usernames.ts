import { USERNAME_PATTERN } from '@switchboard/shared';

/** What a username field holds, as the server stores usernames (trimmed, lower-case). */
export function normaliseUsername(value: string): string {
  return value.trim().replace(/^@/, '').toLowerCase();
}

/** Why a typed username cannot be one, before asking the server; null when it may be. */
export function checkUsername(username: string): string | null {
  if (username === '') return 'Enter a username.';
  if (!USERNAME_PATTERN.test(username)) {
    return 'Usernames are 3 to 32 characters: lower-case letters, digits, “_” and “.”, starting with a letter.';
  }
  return null;
}
