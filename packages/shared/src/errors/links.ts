import type { ErrorSpec } from './spec.js';

/** Codes of link creation, redirects and link management. */
export const LINK_ERRORS = {
  INVALID_URL: { status: 400, description: 'The target is not an absolute URL.' },
  URL_TOO_LONG: { status: 400, description: 'The target URL is longer than the limit.' },
  URL_SCHEME_NOT_ALLOWED: {
    status: 400,
    description: 'Only `http:` and `https:` targets are allowed.',
  },
  URL_HAS_CREDENTIALS: {
    status: 400,
    description: 'The target URL carries a user name or password (`https://user:pass@host`).',
  },
  URL_SELF_REFERENCE: { status: 400, description: "The target points at this service's own host." },
  URL_BLOCKED: { status: 400, description: "The target's domain is on the operator's blocklist." },
  INVALID_ALIAS: {
    status: 400,
    description: 'Aliases are 3 to 64 characters of `0-9`, `A-Z`, `a-z`, `_` and `-`.',
  },
  ALIAS_RESERVED: { status: 400, description: 'The alias is a path the service uses itself.' },
  ALIAS_TAKEN: { status: 409, description: 'Another link already uses this alias.' },
  INVALID_EXPIRY: { status: 400, description: '`expiresAt` must be a future ISO 8601 date-time.' },
  INVALID_MAX_CLICKS: { status: 400, description: '`maxClicks` must be a positive integer.' },
  INVALID_REDIRECT_TYPE: {
    status: 400,
    description: '`redirectType` must be 301, 302, 307 or 308.',
  },
  LINK_NOT_FOUND: { status: 404, description: 'No link has this code.' },
  LINK_EXPIRED: { status: 410, description: 'The link has passed its expiry date.' },
  LINK_EXHAUSTED: {
    status: 410,
    description: 'The link has reached its maximum number of clicks.',
  },
  LINK_PASSWORD_REQUIRED: {
    status: 401,
    description: 'The link is password-protected: send the password to follow it.',
  },
  LINK_PASSWORD_INVALID: { status: 401, description: 'The password for this link is wrong.' },
  NOT_LINK_OWNER: { status: 403, description: 'Only the owner of the link may do this.' },
} as const satisfies Record<string, ErrorSpec>;
