import { isErrorCode, type ErrorCode } from '@switchboard/shared';
import { endSession, getSession } from './session.js';

/** Codes of failures that never reached the server or came back unreadable. */
export type ClientErrorCode = ErrorCode | 'NETWORK' | 'UNEXPECTED_RESPONSE';

/** A failed API call, read from the one error shape `{ error: { code, message } }`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly status: number,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

/** Options of one API call. */
export interface RequestOptions {
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** A token to use instead of the session's (checking a new one before storing it). */
  readonly token?: string;
}

/** Calls the API as the signed-in user (or anonymously) and returns the parsed JSON. */
export async function apiRequest<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const response = await send(method, path, options, 'application/json');
  if (response.status === 204) return undefined as T;
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError('UNEXPECTED_RESPONSE', 'The answer was not JSON.', response.status);
  }
}

/** Fetches a binary resource (a QR code) with the session's credentials. */
export async function apiBlob(path: string, signal?: AbortSignal): Promise<Blob> {
  const response = await send('GET', path, { signal }, '*/*');
  return response.blob();
}

async function send(
  method: string,
  path: string,
  options: RequestOptions,
  accept: string,
): Promise<Response> {
  const session = options.token === undefined ? getSession() : null;
  const token = options.token ?? session?.token;
  const headers: Record<string, string> = { accept };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted === true) throw error;
    throw new ApiError('NETWORK', 'The server could not be reached.', 0);
  }
  if (response.ok) return response;
  const failure = await readError(response);
  // A token the server no longer accepts (logout elsewhere, device signed out) ends the
  // session here too, once, whatever screen made the call.
  if (failure.code === 'UNAUTHENTICATED' && session !== null && getSession() === session) {
    endSession('expired');
  }
  throw failure;
}

/** Reads the error answer of a failed response, whatever the server or a proxy sent. */
export async function readError(response: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error !== undefined && isErrorCode(error.code)) {
    const message = typeof error.message === 'string' ? error.message : error.code;
    return new ApiError(error.code, message, response.status, retryAfter);
  }
  // A proxy's error page or a status without a body: fall back on the status alone.
  const byStatus: Record<number, ErrorCode> = {
    401: 'UNAUTHENTICATED',
    403: 'FORBIDDEN',
    404: 'NOT_FOUND',
    413: 'PAYLOAD_TOO_LARGE',
    429: 'RATE_LIMITED',
    502: 'SERVICE_UNAVAILABLE',
    503: 'SERVICE_UNAVAILABLE',
    504: 'SERVICE_UNAVAILABLE',
  };
  const code = byStatus[response.status] ?? 'UNEXPECTED_RESPONSE';
  return new ApiError(code, `HTTP ${response.status}`, response.status, retryAfter);
}

/** `Retry-After` in seconds (delta or HTTP date), or null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}
