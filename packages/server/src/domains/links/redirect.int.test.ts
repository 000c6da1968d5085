import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import type { Link, LinkStats } from '@switchboard/shared';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { callApi, registerUser, type TestUser } from '../../test-support/accounts.js';
import { startTestServer, type TestServer } from '../../test-support/test-app.js';
import { newId } from '../../ids.js';
import { KyselyLinkStore } from '../../adapters/sql/kysely-link-store.js';
import { LinkService } from './link-service.js';

const DAY = 86_400_000;

/**
 * Sends GET requests for `paths` pipelined in one write on one connection, so that the
 * server meets them all in one turn, and answers each response's status and Location.
 */
async function pipelined(baseUrl: string, paths: readonly string[]) {
  const { hostname, port } = new URL(baseUrl);
  const socket = net.connect(Number(port), hostname);
  let text = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
  const ended = new Promise<void>((resolve, reject) => {
    socket.on('end', resolve).on('error', reject);
  });
  socket.write(
    paths
      .map(
        (path, i) =>
          `GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n` +
          (i === paths.length - 1 ? 'Connection: close\r\n' : '') +
          '\r\n',
      )
      .join(''),
  );
  await ended;
  return [...text.matchAll(/HTTP\/1\.1 (\d{3})[^]*?\r\nlocation: ([^\r]*)\r\n/gi)].map(
    ([, status, location]) => ({ status: Number(status), location }),
  );
}

/** A clock the test moves by hand. */
function manualClock(start = Date.now()) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('the redirect path', () => {
  let server: TestServer;
  let owner: TestUser;
  const clock = manualClock();

  beforeAll(async () => {
    server = await startTestServer(
      {
        LINKS_PER_MINUTE_PER_IP: '0',
        LINKS_PER_MINUTE_PER_ACCOUNT: '0',
        LINK_NEGATIVE_CACHE_MS: '5000',
      },
      { clock },
    );
    owner = await registerUser(server.baseUrl);
  });
  afterAll(() => server.close());

  const create = async (body: Record<string, unknown>, token: string | undefined = owner.token) => {
    const res = await callApi<Link>(server.baseUrl, 'POST', '/api/links', { body, token });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  };
  const visit = (path: string, init: RequestInit = {}) =>
    fetch(`${server.baseUrl}${path}`, { redirect: 'manual', ...init });
  const browser = { accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8' };

  it('answers 302 with the target in Location and an empty body', async () => {
    const link = await create({ url: 'https://example.com/some/page?q=1' });
    const res = await visit(`/${link.code}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://example.com/some/page?q=1');
    expect(await res.text()).toBe('');
  });

  it.each([301, 302, 307, 308])(
    'answers with the redirect type %i when the link asks',
    async (type) => {
      const link = await create({ url: 'https://example.com/typed', redirectType: type });
      const res = await visit(`/${link.code}`);
      expect(res.status).toBe(type);
      expect(res.headers.get('location')).toBe('https://example.com/typed');
    },
  );

  it('answers HEAD like GET, without a body', async () => {
    const link = await create({ url: 'https://example.com/head' });
    const res = await visit(`/${link.code}`, { method: 'HEAD' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://example.com/head');
  });

  it('redirects an alias, case-sensitively', async () => {
    await create({ url: 'https://example.com/alias', alias: 'My-Alias_1' });
    expect((await visit('/My-Alias_1')).status).toBe(302);
    expect((await visit('/my-alias_1')).status).toBe(404);
  });

  it('answers 404 LINK_NOT_FOUND as JSON to API clients and as a page to browsers', async () => {
    const json = await visit('/zzzzzzz');
    expect(json.status).toBe(404);
    expect(json.headers.get('content-type')).toMatch(/application\/json/);
    expect(await json.json()).toEqual({
      error: { code: 'LINK_NOT_FOUND', message: expect.any(String) },
    });
    const page = await visit('/zzzzzzz', { headers: browser });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<h1>Not found<\/h1>[\s\S]*LINK_NOT_FOUND/);
  });

  it('answers 404 for paths that cannot be codes without asking the database', async () => {
    expect((await visit('/a')).status).toBe(404);
    expect((await visit('/has.dot')).status).toBe(404);
    expect((await visit(`/${'x'.repeat(65)}`)).status).toBe(404);
  });

  it('answers 410 LINK_EXPIRED once the expiry date has passed, as a page for browsers', async () => {
    const link = await create({
      url: 'https://example.com/expiring',
      expiresAt: new Date(clock.now() + DAY).toISOString(),
    });
    expect((await visit(`/${link.code}`)).status).toBe(302);
    clock.advance(DAY + 1);
    const res = await visit(`/${link.code}`);
    expect(res.status).toBe(410);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('LINK_EXPIRED');
    const page = await visit(`/${link.code}`, { headers: browser });
    expect(page.status).toBe(410);
    expect(await page.text()).toMatch(/no longer available/);
    expect((await visit(`/${link.code}`, { method: 'HEAD' })).status).toBe(410);
  });

  it('answers 410 LINK_EXHAUSTED once the click limit is used up, and HEAD takes no click', async () => {
    const link = await create({ url: 'https://example.com/limited', maxClicks: 2 });
    expect((await visit(`/${link.code}`, { method: 'HEAD' })).status).toBe(302);
    expect((await visit(`/${link.code}`)).status).toBe(302);
    expect((await visit(`/${link.code}`)).status).toBe(302);
    const res = await visit(`/${link.code}`);
    expect(res.status).toBe(410);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('LINK_EXHAUSTED');
    const info = await callApi<Link>(server.baseUrl, 'GET', `/api/links/${link.code}`, {
      token: owner.token,
    });
    expect(info.body).toMatchObject({ clicks: 2, status: 'exhausted' });
  });

  it('remembers an unknown code for LINK_NEGATIVE_CACHE_MS, then looks again', async () => {
    const code = 'Neg4tiv';
    expect((await visit(`/${code}`)).status).toBe(404);
    // Written behind the service's back: only the cache's expiry can reveal it.
    const now = clock.now();
    await server.deps.database.db
      .insertInto('links')
      .values({
        id: newId(now),
        code,
        url: 'https://example.com/late',
        owner_id: null,
        password_hash: null,
        redirect_type: 302,
        expires_at: null,
        max_clicks: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    expect((await visit(`/${code}`)).status).toBe(404);
    clock.advance(5_001);
    const res = await visit(`/${code}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://example.com/late');
  });

  it("answers a cache miss on SQLite without the store's async lookup", async () => {
    const link = await create({ url: 'https://example.com/sync-miss' });
    const lookups = vi.spyOn(KyselyLinkStore.prototype, 'findByCode');
    try {
      const res = await visit(`/${link.code}`);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('https://example.com/sync-miss');
      expect((await visit('/SyncMiss404')).status).toBe(404);
      expect(lookups).not.toHaveBeenCalled();
    } finally {
      lookups.mockRestore();
    }
  });

  it('reads the cache misses that arrive in one turn together, at its end', async () => {
    const made = await Promise.all(
      [1, 2, 3].map((n) => create({ url: `https://example.com/together/${n}` })),
    );
    const reads = vi.spyOn(LinkService.prototype, 'resolveAllNow');
    try {
      const answers = await pipelined(
        server.baseUrl,
        made.map((link) => `/${link.code}`),
      );
      expect(answers).toEqual(made.map((link) => ({ status: 302, location: link.url })));
      expect(reads.mock.calls).toEqual([[made.map((link) => link.code)]]);
    } finally {
      reads.mockRestore();
    }
  });

  it('forgets a negative entry when a link is created with that code', async () => {
    expect((await visit('/fresh-alias')).status).toBe(404);
    await create({ url: 'https://example.com/fresh', alias: 'fresh-alias' });
    expect((await visit('/fresh-alias')).status).toBe(302);
  });

  it('serves from the cache, and a PATCH makes the next redirect use the change', async () => {
    const link = await create({ url: 'https://example.com/before' });
    expect((await visit(`/${link.code}`)).headers.get('location')).toBe(
      'https://example.com/before',
    );
    // Changed behind the service's back: the cache keeps answering the old target.
    await server.deps.database.db
      .updateTable('links')
      .set({ url: 'https://example.com/sneaky' })
      .where('code', '=', link.code)
      .execute();
    expect((await visit(`/${link.code}`)).headers.get('location')).toBe(
      'https://example.com/before',
    );
    const patched = await callApi(server.baseUrl, 'PATCH', `/api/links/${link.code}`, {
      token: owner.token,
      body: { url: 'https://example.com/after', redirectType: 307 },
    });
    expect(patched.status).toBe(200);
    const res = await visit(`/${link.code}`);
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe('https://example.com/after');
  });

  it('stops redirecting at once when a link is deleted', async () => {
    const link = await create({ url: 'https://example.com/doomed' });
    expect((await visit(`/${link.code}`)).status).toBe(302);
    const res = await callApi(server.baseUrl, 'DELETE', `/api/links/${link.code}`, {
      token: owner.token,
    });
    expect(res.status).toBe(204);
    expect((await visit(`/${link.code}`)).status).toBe(404);
  });

  it('lifts an exhausted link when its limit is raised', async () => {
    const link = await create({ url: 'https://example.com/raise', maxClicks: 1 });
    expect((await visit(`/${link.code}`)).status).toBe(302);
    expect((await visit(`/${link.code}`)).status).toBe(410);
    await callApi(server.baseUrl, 'PATCH', `/api/links/${link.code}`, {
      token: owner.token,
      body: { maxClicks: 2 },
    });
    expect((await visit(`/${link.code}`)).status).toBe(302);
    expect((await visit(`/${link.code}`)).status).toBe(410);
  });

  it('never shadows the web app, the API or health with /:code', async () => {
    expect((await visit('/healthz')).status).toBe(200);
    expect((await visit('/api/openapi.json')).status).toBe(200);
    const root = await visit('/');
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toMatch(/text\/html/);
  });

  describe('the preview page', () => {
    it('shows the target, escaped, with a button that follows the link, and counts nothing', async () => {
      const link = await create({ url: 'https://example.com/?q=<script>alert(1)</script>&x="y"' });
      const res = await visit(`/${link.code}+`, { headers: browser });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      const html = await res.text();
      expect(html).not.toContain('<script>');
      expect(html).toContain(
        'https://example.com/?q=%3Cscript%3Ealert(1)%3C/script%3E&amp;x=%22y%22',
      );
      expect(html).toContain(`href="/${link.code}"`);
      expect(html).toContain(`${server.config.publicUrl.origin}/${link.code}`);
      await server.app.links!.flushClicks();
      const info = await callApi<Link>(server.baseUrl, 'GET', `/api/links/${link.code}`, {
        token: owner.token,
      });
      expect(info.body.clicks).toBe(0);
    });

    it('answers an HTML page even to clients that do not ask for one', async () => {
      const link = await create({ url: 'https://example.com/plain' });
      const res = await visit(`/${link.code}+`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('https://example.com/plain');
    });

    it('answers 404 and 410 for unknown and expired links', async () => {
      expect((await visit('/nothing+', { headers: browser })).status).toBe(404);
      const link = await create({
        url: 'https://example.com/soon',
        expiresAt: new Date(clock.now() + 1000).toISOString(),
      });
      clock.advance(1001);
      expect((await visit(`/${link.code}+`, { headers: browser })).status).toBe(410);
    });
  });

  describe('a password-protected link', () => {
    let link: Link;
    beforeAll(async () => {
      link = await create({ url: 'https://example.com/secret', password: 'open sesame' });
    });

    it('asks API clients for the password with 401 LINK_PASSWORD_REQUIRED', async () => {
      const res = await visit(`/${link.code}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('location')).toBeNull();
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'LINK_PASSWORD_REQUIRED',
      );
    });

    it('shows browsers a password form instead of the target', async () => {
      for (const path of [`/${link.code}`, `/${link.code}+`]) {
        const res = await visit(path, { headers: browser });
        const html = await res.text();
        expect(html).toContain(`action="/${link.code}+"`);
        expect(html).toContain('type="password"');
        expect(html).not.toContain('https://example.com/secret');
      }
    });

    it('follows the link with 303 for the right password posted by the form', async () => {
      const res = await visit(`/${link.code}+`, {
        method: 'POST',
        headers: { ...browser, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ password: 'open sesame' }).toString(),
      });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('https://example.com/secret');
    });

    it('shows the form again with an error for a wrong password', async () => {
      const res = await visit(`/${link.code}+`, {
        method: 'POST',
        headers: { ...browser, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ password: 'wrong' }).toString(),
      });
      expect(res.status).toBe(401);
      const html = await res.text();
      expect(html).toContain('role="alert"');
      expect(html).not.toContain('https://example.com/secret');
    });

    it('refuses POST on a path without the + suffix', async () => {
      const res = await visit(`/${link.code}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'password=open%20sesame',
      });
      expect(res.status).toBe(405);
    });
  });

  describe('the fast path in front of Fastify', () => {
    interface RawOutcome {
      readonly fellBack: boolean;
      readonly status?: number;
      readonly headers?: Record<string, string>;
    }
    /** A sample of /metrics, by its name and labels as written. */
    const metric = async (series: string) => {
      const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };
    /** Runs the raw route alone on a stand-in request: what it answers, or that it handed over. */
    const raw = (url: string, method = 'GET') =>
      new Promise<RawOutcome>((resolve) => {
        const written: { status?: number; headers?: Record<string, string> } = {};
        const request = { method, url, headers: {} } as unknown as IncomingMessage;
        const response = {
          writeHead(status: number, headers: Record<string, string>) {
            Object.assign(written, { status, headers });
            return this;
          },
          end() {
            resolve({ fellBack: false, ...written });
          },
        } as unknown as ServerResponse;
        server.app.links!.rawRedirect(request, response, () => resolve({ fellBack: true }));
      });

    it('answers a plain link itself, after a cache miss and from the cache', async () => {
      const link = await create({ url: 'https://example.com/fast', redirectType: 307 });
      const misses = await metric('link_cache_lookups_total{result="miss"}');
      const hits = await metric('link_cache_lookups_total{result="hit"}');
      for (const method of ['GET', 'GET', 'HEAD']) {
        expect(await raw(`/${link.code}`, method)).toEqual({
          fellBack: false,
          status: 307,
          headers: { location: 'https://example.com/fast', 'content-length': '0' },
        });
      }
      expect(await metric('link_cache_lookups_total{result="miss"}')).toBe(misses + 1);
      expect(await metric('link_cache_lookups_total{result="hit"}')).toBe(hits + 2);
    });

    it('counts a miss once when the link it loads is then answered by Fastify', async () => {
      const limited = await create({ url: 'https://example.com/limited-miss', maxClicks: 5 });
      const misses = await metric('link_cache_lookups_total{result="miss"}');
      const hits = await metric('link_cache_lookups_total{result="hit"}');
      const res = await visit(`/${limited.code}`);
      expect(res.status).toBe(302);
      expect(await metric('link_cache_lookups_total{result="miss"}')).toBe(misses + 1);
      expect(await metric('link_cache_lookups_total{result="hit"}')).toBe(hits);
    });

    it('hands everything else to Fastify as it came', async () => {
      const plain = await create({ url: 'https://example.com/plain' });
      const locked = await create({ url: 'https://example.com/locked', password: 'open sesame' });
      const limited = await create({ url: 'https://example.com/limited', maxClicks: 5 });
      const expiring = await create({
        url: 'https://example.com/expiring',
        expiresAt: new Date(clock.now() + DAY).toISOString(),
      });
      clock.advance(2 * DAY);
      for (const [url, method] of [
        [`/${plain.code}?utm=x`, 'GET'],
        [`/${plain.code}+`, 'GET'],
        [`/${plain.code}/`, 'GET'],
        [`/${plain.code}`, 'POST'],
        [`/${plain.code}`, 'OPTIONS'],
        [`/${locked.code}`, 'GET'],
        [`/${limited.code}`, 'GET'],
        [`/${expiring.code}`, 'GET'],
        ['/zzzzzzy', 'GET'],
        ['/zzzzzzy', 'GET'],
        ['/healthz', 'GET'],
        ['/api/links', 'GET'],
        ['/', 'GET'],
      ] as const) {
        expect(await raw(url, method), `${method} ${url}`).toEqual({ fellBack: true });
      }
    });

    it('counts the redirects, the clicks and the metrics series as the route does', async () => {
      const link = await create({ url: 'https://example.com/counted' });
      const series = () =>
        metric('http_request_duration_seconds_count{method="GET",route="/:code",status="302"}');
      const before = await series();
      for (let i = 0; i < 5; i++) expect((await visit(`/${link.code}`)).status).toBe(302);
      expect((await visit(`/${link.code}`, { method: 'HEAD' })).status).toBe(302);
      expect(await series()).toBe(before + 5);
      await server.app.links!.flushClicks();
      const stats = await callApi<LinkStats>(
        server.baseUrl,
        'GET',
        `/api/links/${link.code}/stats`,
        { token: owner.token },
      );
      expect(stats.body.clicks).toBe(5);
    });
  });
});
