import type { Link } from '@switchboard/shared';
import { describe, expect, it } from 'vitest';
import { toLocalInputValue } from './dates.js';
import {
  checkAlias,
  EMPTY_LINK_FORM,
  formOfLink,
  normaliseTargetUrl,
  toCreateRequest,
  toUpdateRequest,
} from './link-form.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');

function link(overrides: Partial<Link> = {}): Link {
  return {
    code: 'aB3dE5g',
    shortUrl: 'https://sb.example/aB3dE5g',
    url: 'https://example.com/page',
    createdAt: '2025-05-01T10:00:00.000Z',
    updatedAt: '2025-05-01T10:00:00.000Z',
    expiresAt: null,
    maxClicks: null,
    redirectType: 302,
    clicks: 0,
    hasPassword: false,
    status: 'active',
    ...overrides,
  };
}

describe(normaliseTargetUrl.name, () => {
  it('adds https:// to an address typed without a scheme, as address bars do', () => {
    expect(normaliseTargetUrl('example.com/page')).toBe('https://example.com/page');
    expect(normaliseTargetUrl('  example.com  ')).toBe('https://example.com');
    expect(normaliseTargetUrl('//cdn.example/x')).toBe('https://cdn.example/x');
  });

  it('reads host:port as a host, not as a scheme', () => {
    expect(normaliseTargetUrl('localhost:8080/x')).toBe('https://localhost:8080/x');
  });

  it('leaves an explicit scheme alone so the server can refuse the wrong ones', () => {
    expect(normaliseTargetUrl('http://example.com')).toBe('http://example.com');
    expect(normaliseTargetUrl('javascript:alert(1)')).toBe('javascript:alert(1)');
    expect(normaliseTargetUrl('mailto:a@b.c')).toBe('mailto:a@b.c');
  });
});

describe(checkAlias.name, () => {
  it('accepts an empty alias (none) and a valid one', () => {
    expect(checkAlias('')).toBeUndefined();
    expect(checkAlias('my-launch_2025')).toBeUndefined();
  });

  it('refuses aliases outside the pattern', () => {
    expect(checkAlias('ab')).toMatch(/3 to 64/);
    expect(checkAlias('has space')).toMatch(/letters, digits/);
    expect(checkAlias('x'.repeat(65))).toMatch(/3 to 64/);
  });

  it('refuses the paths the service uses itself, whatever the case', () => {
    expect(checkAlias('Login')).toMatch(/page of this service/);
    expect(checkAlias('settings')).toMatch(/page of this service/);
  });
});

describe(toCreateRequest.name, () => {
  it('sends only the URL when no option is set', () => {
    const read = toCreateRequest({ ...EMPTY_LINK_FORM, url: 'example.com' }, NOW);
    expect(read).toEqual({ ok: true, request: { url: 'https://example.com' } });
  });

  it('sends every option that is set, with the expiry as an ISO instant', () => {
    const expiresAt = toLocalInputValue(new Date(NOW + 86_400_000));
    const read = toCreateRequest(
      {
        url: 'https://example.com',
        alias: ' launch ',
        expiresAt,
        maxClicks: '100',
        password: 'hunter22',
        redirectType: '301',
      },
      NOW,
    );
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.request).toEqual({
      url: 'https://example.com',
      alias: 'launch',
      expiresAt: new Date(NOW + 86_400_000).toISOString(),
      maxClicks: 100,
      password: 'hunter22',
      redirectType: 301,
    });
  });

  it('reports every bad field at once', () => {
    const read = toCreateRequest(
      {
        url: 'ftp://example.com',
        alias: 'a',
        expiresAt: toLocalInputValue(new Date(NOW - 60_000)),
        maxClicks: '1.5',
        password: '',
        redirectType: '303',
      },
      NOW,
    );
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(Object.keys(read.errors).sort()).toEqual([
      'alias',
      'expiresAt',
      'maxClicks',
      'redirectType',
      'url',
    ]);
  });

  it('asks for a URL when there is none', () => {
    const read = toCreateRequest(EMPTY_LINK_FORM, NOW);
    expect(read).toEqual({ ok: false, errors: { url: 'Enter the address to shorten.' } });
  });

  it('refuses a click limit of zero or a negative one', () => {
    for (const maxClicks of ['0', '-3', 'ten']) {
      const read = toCreateRequest({ ...EMPTY_LINK_FORM, url: 'a.example', maxClicks }, NOW);
      expect(read.ok, maxClicks).toBe(false);
    }
  });
});

describe(toUpdateRequest.name, () => {
  it('sends nothing when nothing changed', () => {
    const original = link({
      maxClicks: 5,
      expiresAt: '2025-07-01T08:30:00.000Z',
      redirectType: 307,
    });
    expect(toUpdateRequest(formOfLink(original), original, 'keep', NOW)).toEqual({
      ok: true,
      request: {},
    });
  });

  it('sends only the changed fields, and null for a cleared one', () => {
    const original = link({ maxClicks: 5 });
    const values = { ...formOfLink(original), url: 'example.org', maxClicks: '' };
    expect(toUpdateRequest(values, original, 'keep', NOW)).toEqual({
      ok: true,
      request: { url: 'https://example.org', maxClicks: null },
    });
  });

  it('removes or sets the password only when asked', () => {
    const original = link({ hasPassword: true });
    expect(toUpdateRequest(formOfLink(original), original, 'remove', NOW)).toEqual({
      ok: true,
      request: { password: null },
    });
    const values = { ...formOfLink(original), password: 'new-secret' };
    expect(toUpdateRequest(values, original, 'set', NOW)).toEqual({
      ok: true,
      request: { password: 'new-secret' },
    });
    expect(toUpdateRequest(formOfLink(original), original, 'set', NOW).ok).toBe(false);
  });

  it('clears the expiry with null and refuses a past one', () => {
    const original = link({ expiresAt: '2025-07-01T08:30:00.000Z' });
    expect(
      toUpdateRequest({ ...formOfLink(original), expiresAt: '' }, original, 'keep', NOW),
    ).toEqual({
      ok: true,
      request: { expiresAt: null },
    });
    const past = toLocalInputValue(new Date(NOW - 3_600_000));
    expect(
      toUpdateRequest({ ...formOfLink(original), expiresAt: past }, original, 'keep', NOW).ok,
    ).toBe(false);
  });
});
