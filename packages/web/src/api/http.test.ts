import { describe, expect, it } from 'vitest';
import { describeError, fieldOfError } from './error-messages.js';
import { ApiError, parseRetryAfter, readError } from './http.js';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

describe(readError.name, () => {
  it('reads the one error shape', async () => {
    const error = await readError(
      json(409, {
        error: { code: 'ALIAS_TAKEN', message: 'Another link already uses this alias.' },
      }),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('ALIAS_TAKEN');
    expect(error.status).toBe(409);
  });

  it('keeps Retry-After for rate limits', async () => {
    const error = await readError(
      json(429, { error: { code: 'RATE_LIMITED', message: 'slow down' } }, { 'retry-after': '42' }),
    );
    expect(error.retryAfterSeconds).toBe(42);
    expect(describeError(error)).toBe(
      'Too many requests in a short time. Try again in 42 seconds.',
    );
  });

  it('falls back on the status for a proxy error page or an unknown code', async () => {
    const proxy = await readError(new Response('<h1>Bad gateway</h1>', { status: 502 }));
    expect(proxy.code).toBe('SERVICE_UNAVAILABLE');
    const unknown = await readError(json(418, { error: { code: 'TEAPOT', message: 'short' } }));
    expect(unknown.code).toBe('UNEXPECTED_RESPONSE');
  });
});

describe(parseRetryAfter.name, () => {
  it('reads seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter('Sun, 01 Jun 2025 12:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

describe(describeError.name, () => {
  it('says something useful for errors that are not from the API', () => {
    expect(describeError(new TypeError('x'))).toMatch(/went wrong/);
  });

  it("falls back on the server's sentence for a code no screen here expects", () => {
    const error = new ApiError(
      'GROUP_FULL',
      'The group has reached its maximum number of members.',
      409,
    );
    expect(describeError(error)).toBe('The group has reached its maximum number of members.');
  });

  it('points refusals at the field they are about', () => {
    expect(fieldOfError(new ApiError('ALIAS_TAKEN', '', 409))).toBe('alias');
    expect(fieldOfError(new ApiError('URL_BLOCKED', '', 400))).toBe('url');
    expect(fieldOfError(new ApiError('RATE_LIMITED', '', 429))).toBeNull();
  });
});
