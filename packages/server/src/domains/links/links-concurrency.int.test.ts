import type { Link } from '@switchboard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../../test-support/accounts.js';
import { startTestServer, type TestServer } from '../../test-support/test-app.js';

describe('links under concurrency', () => {
  let server: TestServer;
  beforeAll(async () => {
    // A long flush interval: the tests flush by hand, so nothing is written behind them.
    server = await startTestServer({ LINKS_PER_MINUTE_PER_IP: '0', CLICK_FLUSH_MS: '600000' });
  });
  afterAll(() => server.close());

  const create = async (body: Record<string, unknown>) => {
    const res = await callApi<Link>(server.baseUrl, 'POST', '/api/links', { body });
    expect(res.status).toBe(201);
    return res.body;
  };
  const clicksOf = async (code: string) =>
    (await callApi<Link>(server.baseUrl, 'GET', `/api/links/${code}`)).body.clicks;

  it('gives one 201 and one 409 ALIAS_TAKEN to two simultaneous requests for an alias', async () => {
    for (let round = 0; round < 5; round++) {
      const alias = `race-${round}`;
      const answers = await Promise.all(
        ['https://a.example/', 'https://b.example/'].map((url) =>
          callApi<{ error?: { code: string } }>(server.baseUrl, 'POST', '/api/links', {
            body: { url, alias },
          }),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
      expect(answers.find((a) => a.status === 409)?.body.error?.code).toBe('ALIAS_TAKEN');
      const rows = await server.deps.database.db
        .selectFrom('links')
        .select('url')
        .where('code', '=', alias)
        .execute();
      expect(rows).toHaveLength(1);
    }
  });

  it('makes distinct codes for many simultaneous creations', async () => {
    const links = await Promise.all(
      Array.from({ length: 60 }, (_, i) => create({ url: `https://example.com/${i}` })),
    );
    expect(new Set(links.map((l) => l.code)).size).toBe(60);
  });

  it('counts exactly N clicks for N concurrent redirects, before and after a flush', async () => {
    const link = await create({ url: 'https://example.com/popular' });
    const n = 400;
    const statuses = await Promise.all(
      Array.from({ length: n }, () =>
        fetch(`${server.baseUrl}/${link.code}`, { redirect: 'manual' }).then((r) => r.status),
      ),
    );
    expect(statuses.every((s) => s === 302)).toBe(true);
    expect(await clicksOf(link.code)).toBe(n);
    await server.app.links!.flushClicks();
    expect(await clicksOf(link.code)).toBe(n);
    const stored = await server.deps.database.db
      .selectFrom('links')
      .select('clicks')
      .where('code', '=', link.code)
      .executeTakeFirstOrThrow();
    expect(Number(stored.clicks)).toBe(n);
  });

  it('reports an exact total while redirects and flushes interleave', async () => {
    const link = await create({ url: 'https://example.com/busy' });
    let served = 0;
    for (let wave = 0; wave < 5; wave++) {
      const batch = Array.from({ length: 40 }, () =>
        fetch(`${server.baseUrl}/${link.code}`, { redirect: 'manual' }).then(() => served++),
      );
      const flush = server.app.links!.flushClicks();
      await Promise.all(batch);
      await flush;
      expect(await clicksOf(link.code)).toBe(served);
    }
  });

  it('lets exactly maxClicks redirects through when more race for them', async () => {
    const link = await create({ url: 'https://example.com/scarce', maxClicks: 25 });
    const statuses = await Promise.all(
      Array.from({ length: 120 }, () =>
        fetch(`${server.baseUrl}/${link.code}`, { redirect: 'manual' }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 302)).toHaveLength(25);
    expect(statuses.filter((s) => s === 410)).toHaveLength(95);
    await server.app.links!.flushClicks();
    expect(await clicksOf(link.code)).toBe(25);
    const stats = await callApi<{ clicks: number; byDay: Array<{ clicks: number }> }>(
      server.baseUrl,
      'GET',
      `/api/links/${link.code}/stats?days=1`,
    );
    expect(stats.body.clicks).toBe(25);
    expect(stats.body.byDay[0]!.clicks).toBe(25);
  });
});
