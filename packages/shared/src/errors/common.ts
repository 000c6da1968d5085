import type { ErrorSpec } from './spec.js';

/** Codes any endpoint or frame may answer with. */
export const COMMON_ERRORS = {
  INVALID_REQUEST: { status: 400, description: 'The request does not match its schema.' },
  UNAUTHENTICATED: {
    status: 401,
    description: 'No valid token was given, or it was revoked or has expired.',
  },
  FORBIDDEN: { status: 403, description: 'The caller may not do this.' },
  NOT_FOUND: { status: 404, description: 'Nothing lives at this path.' },
  METHOD_NOT_ALLOWED: { status: 405, description: 'The path exists but not with this method.' },
  PRECONDITION_FAILED: {
    status: 412,
    description: 'A condition of the request (`If-Match`, `If-Unmodified-Since`) does not hold.',
  },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The request body is larger than allowed.' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    description: 'The body must be JSON (`Content-Type: application/json`).',
  },
  RANGE_NOT_SATISFIABLE: {
    status: 416,
    description: 'The `Range` asked for lies outside the file.',
  },
  RATE_LIMITED: {
    status: 429,
    description: 'Too many requests; retry after the number of seconds in `Retry-After`.',
  },
  INTERNAL: { status: 500, description: 'An unexpected error; it has been logged.' },
  SERVICE_UNAVAILABLE: {
    status: 503,
    description: 'A dependency is down or the server is shutting down; retry later.',
  },
  SERVICE_DISABLED: {
    status: 404,
    description: 'This service (links or chat) is switched off on this server.',
  },
} as const satisfies Record<string, ErrorSpec>;
