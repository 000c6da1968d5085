import { AppError } from '@switchboard/shared';
import { describe, expect, it } from 'vitest';
import { checkAlias, checkMaxClicks, checkRedirectType, parseExpiry } from './link-rules.js';

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (error) {
    return error instanceof AppError ? error.code : 'not an AppError';
  }
}

const NOW = Date.parse('2030-06-01T12:00:00Z');

describe(checkAlias.name, () => {
  it('accepts 3 to 64 characters of letters, digits, _ and -', () => {
    for (const alias of ['abc', 'A_b-9', 'x'.repeat(64), '---'])
      expect(checkAlias(alias)).toBe(alias);
  });

  it('refuses other aliases with INVALID_ALIAS', () => {
    for (const alias of ['ab', 'x'.repeat(65), 'a b', 'a.b', 'a/b', 'ünï', 'abc+', '']) {
      expect(
        codeOf(() => checkAlias(alias)),
        alias,
      ).toBe('INVALID_ALIAS');
    }
  });

  it('refuses reserved paths, in any case, with ALIAS_RESERVED', () => {
    for (const alias of ['api', 'API', 'login', 'Links', 'healthz', 'METRICS', 'settings']) {
      expect(
        codeOf(() => checkAlias(alias)),
        alias,
      ).toBe('ALIAS_RESERVED');
    }
  });
});

describe(parseExpiry.name, () => {
  it('accepts a future ISO 8601 date-time with a zone', () => {
    expect(parseExpiry('2030-06-02T12:00:00Z', NOW)).toBe(NOW + 86_400_000);
    expect(parseExpiry('2030-06-01T14:00:00.001+02:00', NOW)).toBe(NOW + 1);
    expect(parseExpiry(null, NOW)).toBeNull();
    expect(parseExpiry(undefined, NOW)).toBeNull();
  });

  it('refuses the past, the present and what is not ISO 8601 with INVALID_EXPIRY', () => {
    for (const value of [
      '2030-06-01T12:00:00Z',
      '2030-06-01T14:00:00+02:00',
      '2020-01-01T00:00:00Z',
      '2030-06-02',
      '2030-06-02T12:00:00',
      'June 2, 2030',
      '2030-13-01T00:00:00Z',
      '',
    ]) {
      expect(
        codeOf(() => parseExpiry(value, NOW)),
        value,
      ).toBe('INVALID_EXPIRY');
    }
  });
});

describe(checkMaxClicks.name, () => {
  it('accepts positive integers and null', () => {
    expect(checkMaxClicks(1)).toBe(1);
    expect(checkMaxClicks(1_000_000)).toBe(1_000_000);
    expect(checkMaxClicks(null)).toBeNull();
  });

  it('refuses the rest with INVALID_MAX_CLICKS', () => {
    for (const value of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 60]) {
      expect(
        codeOf(() => checkMaxClicks(value)),
        String(value),
      ).toBe('INVALID_MAX_CLICKS');
    }
  });
});

describe(checkRedirectType.name, () => {
  it('defaults to 302 and accepts 301, 302, 307, 308', () => {
    expect(checkRedirectType(undefined)).toBe(302);
    for (const type of [301, 302, 307, 308]) expect(checkRedirectType(type)).toBe(type);
  });

  it('refuses the rest with INVALID_REDIRECT_TYPE', () => {
    for (const type of [200, 300, 303, 304, 404, 302.5]) {
      expect(
        codeOf(() => checkRedirectType(type)),
        String(type),
      ).toBe('INVALID_REDIRECT_TYPE');
    }
  });
});
