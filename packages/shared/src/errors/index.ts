import { ACCOUNT_ERRORS } from './accounts.js';
import { CHAT_ERRORS } from './chat.js';
import { COMMON_ERRORS } from './common.js';
import { LINK_ERRORS } from './links.js';
import type { ErrorSpec } from './spec.js';

export type { ErrorSpec } from './spec.js';

/**
 * The one table of error codes: every code the HTTP API and the WebSocket protocol
 * answer with, its HTTP status, and the sentence that documents it.
 */
export const ERRORS = {
  ...COMMON_ERRORS,
  ...ACCOUNT_ERRORS,
  ...LINK_ERRORS,
  ...CHAT_ERRORS,
} as const satisfies Record<string, ErrorSpec>;

/** A stable, documented error code. */
export type ErrorCode = keyof typeof ERRORS;

/** The JSON body of every error answer: `{ "error": { "code", "message" } }`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** True when `value` is one of the documented codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** The HTTP status of a code. */
export function statusOf(code: ErrorCode): number {
  return ERRORS[code].status;
}

/**
 * An error with a stable code. Thrown by services, mapped to an HTTP answer or a
 * WebSocket `error` frame at the edge; also what the SDK throws for server errors.
 */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string = ERRORS[code].description,
    options?: { cause?: unknown; details?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.details = options?.details;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** Extra machine-readable context, such as the failing fields of a request. */
  readonly details: unknown;
  /** For `RATE_LIMITED`: when the caller may try again. */
  readonly retryAfterSeconds: number | undefined;

  get status(): number {
    return ERRORS[this.code].status;
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}
