import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CODE_PATTERN, type Link, type LinkPage, type LinkStats } from '@switchboard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callApi,
  registerUser,
  uniqueUsername,
  type TestUser,
} from '../../test-support/accounts.js';
import { startTestServer, type TestServer } from '../../test-support/test-app.js';

interface ErrorAnswer {
  error: { code: string; message: string };
}

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

describe('the links API', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let blocklistDir: string;

  beforeAll(async () => {
    blocklistDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-blocklist-'));
    const blocklistFile = path.join(blocklistDir, 'blocked.txt');
    fs.writeFileSync(blocklistFile, '# phishing\nphish.example\n\nbücher.example # IDN\n');
    server = await startTestServer({
      PUBLIC_URL: 'https://sb.example',
      LINKS_PER_MINUTE_PER_IP: '0',
      LINKS_PER_MINUTE_PER_ACCOUNT: '0',
      URL_BLOCKLIST: 'malware.example, evil.example',
      URL_BLOCKLIST_FILE: blocklistFile,
    });
    [alice, bob] = await Promise.all([registerUser(server.baseUrl), registerUser(server.baseUrl)]);
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(blocklistDir, { recursive: true, force: true });
  });

  const api = <T>(
    method: string,
    url: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) => callApi<T>(server.baseUrl, method, url, options);
  const create = async (body: Record<string, unknown>, token?: string) => {
    const res = await api<Link>('POST', '/api/links', { body, token });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  };
  const refusal = async (body: Record<string, unknown>) => {
    const res = await api<ErrorAnswer>('POST', '/api/links', { body });
    return { status: res.status, code: res.body.error.code };
  };
  const follow = (code: string, headers: Record<string, string> = {}) =>
    fetch(`${server.baseUrl}/${code}`, { redirect: 'manual', headers });

  describe('POST /api/links', () => {
    it('makes an anonymous link with a 7-character code and a short URL from PUBLIC_URL', async () => {
      const res = await api<Link>('POST', '/api/links', {
        body: { url: 'https://example.com/a' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        code: expect.stringMatching(CODE_PATTERN),
        shortUrl: `https://sb.example/${res.body.code}`,
        url: 'https://example.com/a',
        createdAt: expect.any(String),
        updatedAt: res.body.createdAt,
        expiresAt: null,
        maxClicks: null,
        redirectType: 302,
        clicks: 0,
        hasPassword: false,
        status: 'active',
      });
      expect(res.headers.get('location')).toBe(`/api/links/${res.body.code}`);
    });

    it('gives two links made one after the other unrelated codes', async () => {
      const a = await create({ url: 'https://example.com/1' });
      const b = await create({ url: 'https://example.com/2' });
      expect(a.code).not.toBe(b.code);
      const same = [...a.code].filter((c, i) => c === b.code[i]).length;
      expect(same).toBeLessThanOrEqual(4);
    });

    it('keeps every option it was given', async () => {
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const link = await create({
        url: 'https://example.com/options',
        alias: 'all-options',
        expiresAt,
        maxClicks: 10,
        password: 'hunter22',
        redirectType: 308,
      });
      expect(link).toMatchObject({
        code: 'all-options',
        shortUrl: 'https://sb.example/all-options',
        expiresAt,
        maxClicks: 10,
        redirectType: 308,
        hasPassword: true,
      });
      expect(JSON.stringify(link)).not.toContain('hunter22');
    });

    it('stores IDN hosts in punycode and normalises the URL', async () => {
      const link = await create({ url: '  HTTPS://München.Example:443/Straße?q=ä  ' });
      expect(link.url).toBe('https://xn--mnchen-3ya.example/Stra%C3%9Fe?q=%C3%A4');
    });

    it.each(
      (
        [
          ['INVALID_URL', { url: 'example.com/no-scheme' }],
          ['INVALID_URL', { url: '/relative/path' }],
          ['URL_TOO_LONG', { url: `https://example.com/${'a'.repeat(4100)}` }],
          ['URL_SCHEME_NOT_ALLOWED', { url: 'javascript:alert(1)' }],
          ['URL_SCHEME_NOT_ALLOWED', { url: 'ftp://example.com/file' }],
          ['URL_SCHEME_NOT_ALLOWED', { url: 'data:text/html,<h1>hi</h1>' }],
          ['URL_HAS_CREDENTIALS', { url: 'https://user:secret@example.com/' }],
          ['URL_SELF_REFERENCE', { url: 'https://SB.example:8443/abcdefg' }],
          ['URL_SELF_REFERENCE', { url: 'http://127.0.0.1/x' }],
          ['URL_BLOCKED', { url: 'https://login.malware.example/' }],
          ['URL_BLOCKED', { url: 'https://phish.example/' }],
          ['URL_BLOCKED', { url: 'https://www.xn--bcher-kva.example/' }],
          ['INVALID_ALIAS', { url: 'https://example.com/', alias: 'no' }],
          ['INVALID_ALIAS', { url: 'https://example.com/', alias: 'has space' }],
          ['INVALID_ALIAS', { url: 'https://example.com/', alias: 'ends+' }],
          ['ALIAS_RESERVED', { url: 'https://example.com/', alias: 'Login' }],
          ['ALIAS_RESERVED', { url: 'https://example.com/', alias: 'healthz' }],
          ['INVALID_EXPIRY', { url: 'https://example.com/', expiresAt: '2001-01-01T00:00:00Z' }],
          ['INVALID_EXPIRY', { url: 'https://example.com/', expiresAt: 'tomorrow' }],
          ['INVALID_MAX_CLICKS', { url: 'https://example.com/', maxClicks: 0 }],
          ['INVALID_MAX_CLICKS', { url: 'https://example.com/', maxClicks: 2.5 }],
          ['INVALID_REDIRECT_TYPE', { url: 'https://example.com/', redirectType: 303 }],
          ['INVALID_REQUEST', { url: 42 }],
          ['INVALID_REQUEST', { url: 'https://example.com/', password: '' }],
        ] as const
      ).map(([code, body]) => ({ code, body, label: JSON.stringify(body).slice(0, 70) })),
    )('refuses with $code: $label', async ({ code, body }) => {
      const answer = await refusal(body);
      expect(answer.code).toBe(code);
      expect(answer.status).toBe(400);
    });

    it('answers 409 ALIAS_TAKEN for an alias in use', async () => {
      await create({ url: 'https://example.com/first', alias: 'taken-alias' });
      const res = await api<ErrorAnswer>('POST', '/api/links', {
        body: { url: 'https://example.com/second', alias: 'taken-alias' },
      });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('ALIAS_TAKEN');
    });

    it('refuses a revoked or made-up token instead of acting anonymously', async () => {
      const res = await api<ErrorAnswer>('POST', '/api/links', {
        token: 'not-a-token',
        body: { url: 'https://example.com/' },
      });
      expect(res.status).toBe(401);
    });
  });

  describe('GET /api/links/:code', () => {
    it('shows an anonymous link to anyone', async () => {
      const link = await create({ url: 'https://example.com/public' });
      const res = await api<Link>('GET', `/api/links/${link.code}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(link);
    });

    it("shows an account's link to its owner only", async () => {
      const link = await create({ url: 'https://example.com/private' }, alice.token);
      expect((await api('GET', `/api/links/${link.code}`, { token: alice.token })).status).toBe(
        200,
      );
      const other = await api<ErrorAnswer>('GET', `/api/links/${link.code}`, { token: bob.token });
      expect(other.status).toBe(403);
      expect(other.body.error.code).toBe('NOT_LINK_OWNER');
      expect((await api('GET', `/api/links/${link.code}`)).status).toBe(403);
    });

    it("never shows an anonymous protected link's target", async () => {
      const link = await create({ url: 'https://example.com/hidden', password: 'pw-123456' });
      const res = await api<ErrorAnswer>('GET', `/api/links/${link.code}`);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('LINK_PASSWORD_REQUIRED');
      expect(JSON.stringify(res.body)).not.toContain('hidden');
    });

    it('answers 404 LINK_NOT_FOUND for an unknown code', async () => {
      const res = await api<ErrorAnswer>('GET', '/api/links/unknown1');
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('LINK_NOT_FOUND');
    });

    it('counts clicks that are still buffered', async () => {
      const link = await create({ url: 'https://example.com/counted' });
      for (let i = 0; i < 3; i++) expect((await follow(link.code)).status).toBe(302);
      expect((await api<Link>('GET', `/api/links/${link.code}`)).body.clicks).toBe(3);
      await server.app.links!.flushClicks();
      expect((await api<Link>('GET', `/api/links/${link.code}`)).body.clicks).toBe(3);
    });
  });

  describe('GET /api/links', () => {
    it("lists the caller's links newest first, page by page", async () => {
      const carol = await registerUser(server.baseUrl);
      const made = [];
      for (let i = 0; i < 5; i++) {
        made.push(await create({ url: `https://example.com/carol/${i}` }, carol.token));
      }
      await create({ url: 'https://example.com/not-carol' }, alice.token);
      const first = await api<LinkPage>('GET', '/api/links?limit=2', { token: carol.token });
      expect(first.status).toBe(200);
      const codes = [...first.body.items.map((l) => l.code)];
      let cursor = first.body.nextCursor;
      while (cursor !== null) {
        const next = await api<LinkPage>(
          'GET',
          `/api/links?limit=2&cursor=${encodeURIComponent(cursor)}`,
          { token: carol.token },
        );
        codes.push(...next.body.items.map((l) => l.code));
        cursor = next.body.nextCursor;
      }
      expect(codes).toEqual(made.map((l) => l.code).reverse());
    });

    it('needs a signed-in caller', async () => {
      expect((await api('GET', '/api/links')).status).toBe(401);
    });

    it('refuses a cursor it did not hand out, and a limit out of range', async () => {
      const bad = await api<ErrorAnswer>('GET', '/api/links?cursor=bogus', { token: alice.token });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('INVALID_REQUEST');
      expect((await api('GET', '/api/links?limit=1000', { token: alice.token })).status).toBe(400);
    });
  });

  describe('PATCH and DELETE /api/links/:code', () => {
    it('lets the owner change the target, limits and password, and clear them with null', async () => {
      const link = await create(
        { url: 'https://example.com/v1', maxClicks: 5, password: 'secret-1' },
        alice.token,
      );
      const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
      const changed = await api<Link>('PATCH', `/api/links/${link.code}`, {
        token: alice.token,
        body: { url: 'https://example.com/v2', expiresAt, redirectType: 301 },
      });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({
        url: 'https://example.com/v2',
        expiresAt,
        redirectType: 301,
        maxClicks: 5,
        hasPassword: true,
      });
      const cleared = await api<Link>('PATCH', `/api/links/${link.code}`, {
        token: alice.token,
        body: { expiresAt: null, maxClicks: null, password: null },
      });
      expect(cleared.body).toMatchObject({ expiresAt: null, maxClicks: null, hasPassword: false });
      expect((await follow(link.code)).headers.get('location')).toBe('https://example.com/v2');
    });

    it('checks changed values like new ones', async () => {
      const link = await create({ url: 'https://example.com/v1' }, alice.token);
      const res = await api<ErrorAnswer>('PATCH', `/api/links/${link.code}`, {
        token: alice.token,
        body: { url: 'https://evil.example/' },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('URL_BLOCKED');
    });

    it('answers 403 NOT_LINK_OWNER to anyone else, for account links and anonymous ones', async () => {
      const mine = await create({ url: 'https://example.com/mine' }, alice.token);
      const anonymous = await create({ url: 'https://example.com/anon' });
      for (const code of [mine.code, anonymous.code]) {
        const patch = await api<ErrorAnswer>('PATCH', `/api/links/${code}`, {
          token: bob.token,
          body: { url: 'https://example.com/hijack' },
        });
        expect(patch.status).toBe(403);
        expect(patch.body.error.code).toBe('NOT_LINK_OWNER');
        const del = await api<ErrorAnswer>('DELETE', `/api/links/${code}`, { token: bob.token });
        expect(del.status).toBe(403);
        expect(del.body.error.code).toBe('NOT_LINK_OWNER');
      }
      const anonPatch = await api<ErrorAnswer>('PATCH', `/api/links/${anonymous.code}`, {
        token: alice.token,
        body: { maxClicks: 1 },
      });
      expect(anonPatch.status).toBe(403);
      expect((await follow(mine.code)).headers.get('location')).toBe('https://example.com/mine');
    });

    it('needs a signed-in caller', async () => {
      const link = await create({ url: 'https://example.com/x' }, alice.token);
      expect((await api('PATCH', `/api/links/${link.code}`, { body: {} })).status).toBe(401);
      expect((await api('DELETE', `/api/links/${link.code}`)).status).toBe(401);
    });

    it('deletes a link with its statistics, and frees its alias', async () => {
      const link = await create({ url: 'https://example.com/old', alias: 'reusable' }, alice.token);
      await follow('reusable');
      await server.app.links!.flushClicks();
      expect((await api('DELETE', '/api/links/reusable', { token: alice.token })).status).toBe(204);
      expect((await api('GET', '/api/links/reusable', { token: alice.token })).status).toBe(404);
      expect((await api('DELETE', `/api/links/${link.code}`, { token: alice.token })).status).toBe(
        404,
      );
      const again = await create({ url: 'https://example.com/new', alias: 'reusable' }, bob.token);
      expect(again.clicks).toBe(0);
      const stats = await api<LinkStats>('GET', '/api/links/reusable/stats', { token: bob.token });
      expect(stats.body.clicks).toBe(0);
      expect(stats.body.referrers).toEqual([]);
    });
  });

  describe('GET /api/links/:code/stats', () => {
    it('breaks clicks down by day, referrer, device and browser, flagging bots', async () => {
      const link = await create({ url: 'https://example.com/stats' }, alice.token);
      await follow(link.code, { 'user-agent': IPHONE, referer: 'https://t.co/abc' });
      await follow(link.code, { 'user-agent': IPHONE, referer: 'https://t.co/def' });
      await follow(link.code, { 'user-agent': FIREFOX });
      await server.app.links!.flushClicks();
      // One more, still buffered: the statistics include it.
      await follow(link.code, { 'user-agent': GOOGLEBOT });
      const res = await api<LinkStats>('GET', `/api/links/${link.code}/stats?days=7`, {
        token: alice.token,
      });
      expect(res.status).toBe(200);
      const today = new Date().toISOString().slice(0, 10);
      expect(res.body.clicks).toBe(4);
      expect(res.body.to).toBe(today);
      expect(res.body.byDay).toHaveLength(7);
      expect(res.body.byDay.at(-1)).toEqual({ day: today, clicks: 4 });
      expect(res.body.byDay.slice(0, 6).every((d) => d.clicks === 0)).toBe(true);
      expect(res.body.referrers).toEqual([
        { key: '(direct)', clicks: 2 },
        { key: 't.co', clicks: 2 },
      ]);
      expect(res.body.devices).toEqual([
        { key: 'mobile', clicks: 2 },
        { key: 'bot', clicks: 1 },
        { key: 'desktop', clicks: 1 },
      ]);
      expect(res.body.browsers).toEqual([
        { key: 'Mobile Safari', clicks: 2 },
        { key: 'Firefox', clicks: 1 },
        { key: 'Googlebot', clicks: 1 },
      ]);
      expect(res.body.bots).toBe(1);
    });

    it("keeps an account's statistics to its owner, and anonymous ones public", async () => {
      const mine = await create({ url: 'https://example.com/s1' }, alice.token);
      const res = await api<ErrorAnswer>('GET', `/api/links/${mine.code}/stats`, {
        token: bob.token,
      });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('NOT_LINK_OWNER');
      const anonymous = await create({ url: 'https://example.com/s2' });
      expect((await api('GET', `/api/links/${anonymous.code}/stats`)).status).toBe(200);
    });

    it('refuses a window out of range', async () => {
      const link = await create({ url: 'https://example.com/s3' });
      expect((await api('GET', `/api/links/${link.code}/stats?days=0`)).status).toBe(400);
      expect((await api('GET', `/api/links/${link.code}/stats?days=367`)).status).toBe(400);
    });
  });

  describe('POST /api/links/:code/unlock', () => {
    it('answers the target for the right password and counts the click', async () => {
      const link = await create(
        { url: 'https://example.com/locked', password: 'correct horse' },
        alice.token,
      );
      const res = await api('POST', `/api/links/${link.code}/unlock`, {
        body: { password: 'correct horse' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ url: 'https://example.com/locked', redirectType: 302 });
      const info = await api<Link>('GET', `/api/links/${link.code}`, { token: alice.token });
      expect(info.body.clicks).toBe(1);
    });

    it('answers 401 LINK_PASSWORD_INVALID for a wrong password', async () => {
      const link = await create({ url: 'https://example.com/locked2', password: 'right one' });
      const res = await api<ErrorAnswer>('POST', `/api/links/${link.code}/unlock`, {
        body: { password: 'wrong one' },
      });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('LINK_PASSWORD_INVALID');
    });

    it('answers 404 and 410 for unknown and exhausted links', async () => {
      expect(
        (await api('POST', '/api/links/nowhere1/unlock', { body: { password: 'x' } })).status,
      ).toBe(404);
      const link = await create({ url: 'https://example.com/once', password: 'pw', maxClicks: 1 });
      const ok = await api('POST', `/api/links/${link.code}/unlock`, { body: { password: 'pw' } });
      expect(ok.status).toBe(200);
      const gone = await api<ErrorAnswer>('POST', `/api/links/${link.code}/unlock`, {
        body: { password: 'pw' },
      });
      expect(gone.status).toBe(410);
      expect(gone.body.error.code).toBe('LINK_EXHAUSTED');
    });
  });

  describe('QR codes', () => {
    it('draws an SVG of the short URL', async () => {
      const link = await create({ url: 'https://example.com/qr' });
      const res = await fetch(`${server.baseUrl}/api/links/${link.code}/qr.svg?size=300`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/image\/svg\+xml/);
      const svg = await res.text();
      expect(svg).toMatch(/^<svg[^>]*width="300"/);
      expect(svg).toContain('<path');
    });

    it('draws a PNG of the asked size', async () => {
      const link = await create({ url: 'https://example.com/qr-png' });
      const res = await fetch(`${server.baseUrl}/api/links/${link.code}/qr.png?size=128&margin=1`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      const png = Buffer.from(await res.arrayBuffer());
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
      // IHDR width and height, big-endian, at bytes 16 and 20.
      expect(png.readUInt32BE(16)).toBe(128);
      expect(png.readUInt32BE(20)).toBe(128);
    });

    it('answers 404 for an unknown link and 400 for a size out of range', async () => {
      expect((await fetch(`${server.baseUrl}/api/links/missing1/qr.svg`)).status).toBe(404);
      const link = await create({ url: 'https://example.com/qr-size' });
      expect(
        (await fetch(`${server.baseUrl}/api/links/${link.code}/qr.png?size=9999`)).status,
      ).toBe(400);
      expect(
        (await fetch(`${server.baseUrl}/api/links/${link.code}/qr.svg?dark=%23000`)).status,
      ).toBe(400);
    });
  });

  it('documents every links route in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.baseUrl}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    for (const [route, methods] of [
      ['/api/links', ['get', 'post']],
      ['/api/links/{code}', ['get', 'patch', 'delete']],
      ['/api/links/{code}/stats', ['get']],
      ['/api/links/{code}/unlock', ['post']],
      ['/api/links/{code}/qr.svg', ['get']],
      ['/api/links/{code}/qr.png', ['get']],
    ] as const) {
      for (const method of methods)
        expect(doc.paths[route]?.[method], `${method} ${route}`).toBeDefined();
    }
    expect(JSON.stringify(doc.paths['/api/links/{code}/qr.png'])).toContain('image/png');
  });
});

describe('link creation limits', () => {
  it('answers 429 RATE_LIMITED with Retry-After past LINKS_PER_MINUTE_PER_IP', async () => {
    await using server = await startTestServer({ LINKS_PER_MINUTE_PER_IP: '3' });
    const post = () =>
      callApi<ErrorAnswer>(server.baseUrl, 'POST', '/api/links', {
        body: { url: 'https://example.com/' },
      });
    for (let i = 0; i < 3; i++) expect((await post()).status).toBe(201);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('limits signed-in callers per account, except the exempt usernames', async () => {
    const exempt = uniqueUsername('bench');
    await using server = await startTestServer({
      LINKS_PER_MINUTE_PER_IP: '1',
      LINKS_PER_MINUTE_PER_ACCOUNT: '2',
      RATE_LIMIT_EXEMPT_USERS: `someone, ${exempt.toUpperCase()}`,
    });
    const user = await registerUser(server.baseUrl);
    const free = await registerUser(server.baseUrl, { username: exempt });
    const post = (token: string) =>
      callApi(server.baseUrl, 'POST', '/api/links', {
        token,
        body: { url: 'https://example.com/' },
      });
    // The account budget (2) applies to signed-in callers, not the address one (1).
    expect((await post(user.token)).status).toBe(201);
    expect((await post(user.token)).status).toBe(201);
    const limited = await post(user.token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).not.toBeNull();
    for (let i = 0; i < 5; i++) expect((await post(free.token)).status).toBe(201);
  });

  it('limits password attempts per link and address', async () => {
    await using server = await startTestServer({
      LINKS_PER_MINUTE_PER_IP: '0',
      LINK_PASSWORD_ATTEMPTS: '2',
    });
    const created = await callApi<Link>(server.baseUrl, 'POST', '/api/links', {
      body: { url: 'https://example.com/guarded', password: 'the-password' },
    });
    const unlock = (password: string) =>
      callApi<ErrorAnswer>(server.baseUrl, 'POST', `/api/links/${created.body.code}/unlock`, {
        body: { password },
      });
    expect((await unlock('guess-1')).status).toBe(401);
    expect((await unlock('guess-2')).status).toBe(401);
    const limited = await unlock('the-password');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
