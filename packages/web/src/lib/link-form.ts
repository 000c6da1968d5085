import {
  ALIAS_PATTERN,
  LINK_PASSWORD_MAX_LENGTH,
  URL_MAX_LENGTH,
  isReservedPath,
  type CreateLinkRequest,
  type Link,
  type RedirectType,
  type UpdateLinkRequest,
} from '@switchboard/shared';
import type { FormField } from '../api/error-messages.js';
import { fromLocalInputValue, toLocalInputValue } from './dates.js';

/** The link form as typed: every field a string, as inputs hold them. */
export interface LinkFormValues {
  url: string;
  alias: string;
  expiresAt: string;
  maxClicks: string;
  password: string;
  redirectType: string;
}

/** What to do with a link's password when editing it. */
export type PasswordChange = 'keep' | 'set' | 'remove';

/** Per-field problems found before sending. */
export type FieldErrors = Partial<Record<FormField, string>>;

/** The redirect types, with what each is for, in the order the picker lists them. */
export const REDIRECT_TYPES: readonly { value: RedirectType; label: string }[] = [
  { value: 302, label: '302 Found (recommended)' },
  { value: 307, label: '307 Temporary redirect' },
  { value: 301, label: '301 Moved permanently' },
  { value: 308, label: '308 Permanent redirect' },
];

/** An empty form. */
export const EMPTY_LINK_FORM: LinkFormValues = {
  url: '',
  alias: '',
  expiresAt: '',
  maxClicks: '',
  password: '',
  redirectType: '302',
};

/**
 * The URL someone meant: `example.com/page` becomes `https://example.com/page`, the way
 * browsers' address bars read it. Anything with a scheme is left for the server to judge.
 */
export function normaliseTargetUrl(input: string): string {
  const trimmed = input.trim();
  if (trimmed === '') return '';
  if (trimmed.startsWith('//')) return `https:${trimmed}`;
  // `host:8080/path` looks like a scheme to the URL parser; a digit after ':' is a port.
  const scheme = /^([a-z][a-z0-9+.-]*):(.?)/i.exec(trimmed);
  if (scheme !== null && !/\d/.test(scheme[2] ?? '')) return trimmed;
  return `https://${trimmed}`;
}

function checkUrl(url: string): string | undefined {
  if (url === '') return 'Enter the address to shorten.';
  if (url.length > URL_MAX_LENGTH) {
    return `That address is too long: the limit is ${URL_MAX_LENGTH.toLocaleString('en')} characters.`;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'Enter a full web address, like https://example.com/page.';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return 'Only web addresses (http:// or https://) can be shortened.';
  }
  if (parsed.hostname === '') return 'Enter a full web address, like https://example.com/page.';
  return undefined;
}

/** Checks the alias as the server will, so the common mistakes are caught while typing. */
export function checkAlias(alias: string): string | undefined {
  if (alias === '') return undefined;
  if (!ALIAS_PATTERN.test(alias)) {
    return 'Aliases are 3 to 64 characters: letters, digits, “_” and “-”.';
  }
  if (isReservedPath(alias)) {
    return 'That alias is the name of a page of this service. Choose another one.';
  }
  return undefined;
}

function readExpiry(value: string, now: number): { iso: string | null; error?: string } {
  if (value === '') return { iso: null };
  const iso = fromLocalInputValue(value);
  if (iso === null) return { iso: null, error: 'Enter a complete date and time.' };
  if (Date.parse(iso) <= now) return { iso: null, error: 'Choose a moment in the future.' };
  return { iso };
}

function readMaxClicks(value: string): { n: number | null; error?: string } {
  const trimmed = value.trim();
  if (trimmed === '') return { n: null };
  if (!/^\d+$/.test(trimmed) || Number(trimmed) < 1 || !Number.isSafeInteger(Number(trimmed))) {
    return { n: null, error: 'The click limit must be a whole number, 1 or more.' };
  }
  return { n: Number(trimmed) };
}

function readRedirectType(value: string): RedirectType | undefined {
  return REDIRECT_TYPES.find((t) => String(t.value) === value)?.value;
}

/** The outcome of reading a form: a request to send, or the problems to show. */
export type FormResult<T> = { ok: true; request: T } | { ok: false; errors: FieldErrors };

/** Turns the shorten form into a `POST /api/links` body, leaving out what was not set. */
export function toCreateRequest(
  values: LinkFormValues,
  now: number = Date.now(),
): FormResult<CreateLinkRequest> {
  const errors: FieldErrors = {};
  const url = normaliseTargetUrl(values.url);
  const urlError = checkUrl(url);
  if (urlError !== undefined) errors.url = urlError;
  const alias = values.alias.trim();
  const aliasError = checkAlias(alias);
  if (aliasError !== undefined) errors.alias = aliasError;
  const expiry = readExpiry(values.expiresAt, now);
  if (expiry.error !== undefined) errors.expiresAt = expiry.error;
  const maxClicks = readMaxClicks(values.maxClicks);
  if (maxClicks.error !== undefined) errors.maxClicks = maxClicks.error;
  if (values.password.length > LINK_PASSWORD_MAX_LENGTH) {
    errors.password = `Passwords are at most ${LINK_PASSWORD_MAX_LENGTH} characters.`;
  }
  const redirectType = readRedirectType(values.redirectType);
  if (redirectType === undefined) errors.redirectType = 'Choose a redirect type from the list.';
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const request: CreateLinkRequest = { url };
  if (alias !== '') request.alias = alias;
  if (expiry.iso !== null) request.expiresAt = expiry.iso;
  if (maxClicks.n !== null) request.maxClicks = maxClicks.n;
  if (values.password !== '') request.password = values.password;
  if (redirectType !== 302) request.redirectType = redirectType;
  return { ok: true, request };
}

/** The edit form of an existing link. */
export function formOfLink(link: Link): LinkFormValues {
  return {
    url: link.url,
    alias: '',
    expiresAt: link.expiresAt === null ? '' : toLocalInputValue(new Date(link.expiresAt)),
    maxClicks: link.maxClicks === null ? '' : String(link.maxClicks),
    password: '',
    redirectType: String(link.redirectType),
  };
}

/**
 * Turns the edit form into a `PATCH` body holding only what changed, so that an edit
 * never rewrites a field someone else changed meanwhile. `null` clears a field.
 */
export function toUpdateRequest(
  values: LinkFormValues,
  link: Link,
  passwordChange: PasswordChange,
  now: number = Date.now(),
): FormResult<UpdateLinkRequest> {
  const errors: FieldErrors = {};
  const request: UpdateLinkRequest = {};

  const url = normaliseTargetUrl(values.url);
  if (url !== link.url) {
    const urlError = checkUrl(url);
    if (urlError === undefined) request.url = url;
    else errors.url = urlError;
  }

  const original = formOfLink(link);
  if (values.expiresAt !== original.expiresAt) {
    const expiry = readExpiry(values.expiresAt, now);
    if (expiry.error !== undefined) errors.expiresAt = expiry.error;
    else request.expiresAt = expiry.iso;
  }

  if (values.maxClicks.trim() !== original.maxClicks) {
    const maxClicks = readMaxClicks(values.maxClicks);
    if (maxClicks.error !== undefined) errors.maxClicks = maxClicks.error;
    else request.maxClicks = maxClicks.n;
  }

  if (passwordChange === 'remove') {
    request.password = null;
  } else if (passwordChange === 'set') {
    if (values.password === '') errors.password = 'Enter the new password.';
    else if (values.password.length > LINK_PASSWORD_MAX_LENGTH) {
      errors.password = `Passwords are at most ${LINK_PASSWORD_MAX_LENGTH} characters.`;
    } else request.password = values.password;
  }

  const redirectType = readRedirectType(values.redirectType);
  if (redirectType === undefined) errors.redirectType = 'Choose a redirect type from the list.';
  else if (redirectType !== link.redirectType) request.redirectType = redirectType;

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, request };
}
