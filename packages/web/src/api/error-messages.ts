import { URL_MAX_LENGTH } from '@switchboard/shared';
import { ApiError, type ClientErrorCode } from './http.js';

const GENERIC =
  'Something went wrong on our side. Try again; if it keeps happening, tell whoever runs this server.';

/**
 * What each code the Links and account screens can meet means to someone using the
 * app, in their words: server messages are written for developers ("send
 * `Authorization: Bearer`"). Codes of other screens fall back on the server's message.
 */
const SENTENCES: Partial<Record<ClientErrorCode, string>> = {
  NETWORK: "We couldn't reach the server. Check your connection and try again.",
  UNEXPECTED_RESPONSE: 'The server sent an answer we could not read. Try again in a moment.',
  INVALID_REQUEST: 'Something in the form is not valid. Check the fields and try again.',
  UNAUTHENTICATED: 'Your session has ended. Sign in again to continue.',
  FORBIDDEN: 'Your account is not allowed to do that.',
  NOT_FOUND: 'There is nothing here. It may have been moved or deleted.',
  METHOD_NOT_ALLOWED: 'This server does not support that action. It may be an older version.',
  PAYLOAD_TOO_LARGE: 'That is too much to send at once. Shorten it and try again.',
  UNSUPPORTED_MEDIA_TYPE: 'The server did not accept the request format. Reload the page.',
  RATE_LIMITED: 'Too many requests in a short time. Wait a little and try again.',
  INTERNAL: GENERIC,
  SERVICE_UNAVAILABLE: 'The server is busy or restarting. Try again in a few seconds.',
  SERVICE_DISABLED: 'This service is switched off on this server.',

  USERNAME_TAKEN: 'That username is taken. Try another one.',
  INVALID_USERNAME:
    'Usernames are 3 to 32 characters: lower-case letters, digits, “_” and “.”, starting with a letter.',
  WEAK_PASSWORD:
    'Choose a stronger password: 8 characters or more, not your username, and not a common password.',
  INVALID_CREDENTIALS: "That username and password don't match. Check both and try again.",
  USER_NOT_FOUND: 'There is no account with that name.',
  DEVICE_NOT_FOUND: 'That device is already signed out.',
  TOKEN_NOT_FOUND: 'That token was already revoked.',
  WRONG_PASSWORD: 'That is not your current password.',
  TOKEN_LIMIT_REACHED:
    'You have as many API tokens as allowed. Revoke one you no longer use first.',

  INVALID_URL: 'Enter a full web address, like https://example.com/page.',
  URL_TOO_LONG: `That address is too long: the limit is ${URL_MAX_LENGTH.toLocaleString('en')} characters.`,
  URL_SCHEME_NOT_ALLOWED: 'Only web addresses (http:// or https://) can be shortened.',
  URL_HAS_CREDENTIALS:
    'Remove the user name and password from the address (the part before “@”): anyone with the link would see them.',
  URL_SELF_REFERENCE:
    'That address points at this service itself: shortening it would make a loop.',
  URL_BLOCKED: 'Links to that domain are not allowed on this server.',
  INVALID_ALIAS: 'Aliases are 3 to 64 characters: letters, digits, “_” and “-”.',
  ALIAS_RESERVED: 'That alias is the name of a page of this service. Choose another one.',
  ALIAS_TAKEN: 'That alias is taken. Try another one.',
  INVALID_EXPIRY: 'Choose an expiry date and time in the future.',
  INVALID_MAX_CLICKS: 'The click limit must be a whole number, 1 or more.',
  INVALID_REDIRECT_TYPE: 'Choose one of the redirect types in the list.',
  LINK_NOT_FOUND: 'There is no link with this code. It may have been deleted.',
  LINK_EXPIRED: 'This link has expired.',
  LINK_EXHAUSTED: 'This link has reached its click limit.',
  LINK_PASSWORD_REQUIRED: 'This link is protected by a password.',
  LINK_PASSWORD_INVALID: 'That password is wrong.',
  NOT_LINK_OWNER: 'Only the account that created this link can do that.',
};

/** A sentence for any failure: an `ApiError`'s code, or a generic one for the rest. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return GENERIC;
  const sentence = SENTENCES[error.code] ?? (error.message === '' ? GENERIC : error.message);
  if (error.code === 'RATE_LIMITED' && error.retryAfterSeconds !== null) {
    return `Too many requests in a short time. Try again in ${formatWait(error.retryAfterSeconds)}.`;
  }
  return sentence;
}

function formatWait(seconds: number): string {
  if (seconds <= 1) return 'a second';
  if (seconds < 90) return `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/** The fields of the app's forms that a server refusal can point at. */
export type FormField =
  'url' | 'alias' | 'expiresAt' | 'maxClicks' | 'password' | 'redirectType' | 'username';

const FIELD_OF: Partial<Record<ClientErrorCode, FormField>> = {
  INVALID_URL: 'url',
  URL_TOO_LONG: 'url',
  URL_SCHEME_NOT_ALLOWED: 'url',
  URL_HAS_CREDENTIALS: 'url',
  URL_SELF_REFERENCE: 'url',
  URL_BLOCKED: 'url',
  INVALID_ALIAS: 'alias',
  ALIAS_RESERVED: 'alias',
  ALIAS_TAKEN: 'alias',
  INVALID_EXPIRY: 'expiresAt',
  INVALID_MAX_CLICKS: 'maxClicks',
  INVALID_REDIRECT_TYPE: 'redirectType',
  USERNAME_TAKEN: 'username',
  INVALID_USERNAME: 'username',
  WEAK_PASSWORD: 'password',
};

/** The form field a refusal is about, so the message can sit under it; null for the form. */
export function fieldOfError(error: unknown): FormField | null {
  return error instanceof ApiError ? (FIELD_OF[error.code] ?? null) : null;
}
