import fs from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import type { Link } from '@switchboard/shared';
import { describe, expect, it } from 'vitest';
import { callApi } from '../../test-support/accounts.js';
import { spawnServer } from '../../test-support/spawn-server.js';

/** The first column of a query's rows, read beside the server (WAL lets a reader in). */
function peekAll<T>(dataDir: string, query: string, ...params: unknown[]): T[] {
  const db = new Sqlite(path.join(dataDir, 'switchboard.db'), { readonly: true });
  try {
    return db
      .prepare(query)
      .pluck()
      .all(...params) as T[];
  } finally {
    db.close();
  }
}

function peek<T>(dataDir: string, query: string, ...params: unknown[]): T {
  return peekAll<T>(dataDir, query, ...params)[0]!;
}

/** The clicks added to totals by the journal's records, as the server wrote them. */
function journaledTotal(dataDir: string): number {
  return peekAll<string>(dataDir, 'SELECT clicks FROM link_click_journal')
    .flatMap((record) => JSON.parse(record) as Array<[string, number]>)
    .reduce((sum, [, uncounted]) => sum + uncounted, 0);
}

describe('the click journal across a crash', () => {
  it('keeps every journaled click through SIGKILL, and folds them after the restart', async () => {
    // Journaled every 50 ms; never folded on its own within the test.
    const env = { LINKS_PER_MINUTE_PER_IP: '0', CLICK_FLUSH_MS: '50' };
    const first = await spawnServer({ env });
    try {
      const created = await callApi<Link>(first.baseUrl, 'POST', '/api/links', {
        body: { url: 'https://example.com/journaled' },
      });
      const code = created.body.code;
      const n = 120;
      for (let i = 0; i < n; i += 20) {
        const statuses = await Promise.all(
          Array.from({ length: 20 }, () =>
            fetch(`${first.baseUrl}/${code}`, { redirect: 'manual' }).then((r) => r.status),
          ),
        );
        expect(statuses.every((s) => s === 302)).toBe(true);
      }
      // Every click is in the journal once all of it has been appended.
      await expect
        .poll(() => journaledTotal(first.dataDir), { timeout: 10_000, interval: 25 })
        .toBe(n);
      expect(peek<number>(first.dataDir, 'SELECT clicks FROM links WHERE code = ?', code)).toBe(0);
      expect((await callApi<Link>(first.baseUrl, 'GET', `/api/links/${code}`)).body.clicks).toBe(n);
      await first.stop('SIGKILL');

      const second = await spawnServer({ env, dataDir: first.dataDir });
      try {
        const info = await callApi<Link>(second.baseUrl, 'GET', `/api/links/${code}`);
        expect(info.body.clicks).toBe(n);
        const stats = await callApi<{ clicks: number; byDay: Array<{ clicks: number }> }>(
          second.baseUrl,
          'GET',
          `/api/links/${code}/stats?days=1`,
        );
        expect(stats.body.clicks).toBe(n);
        expect(stats.body.byDay.at(-1)!.clicks).toBe(n);
        expect(await second.stop('SIGTERM')).toBe(0);
      } finally {
        await second.stop('SIGKILL');
      }
      // A clean stop folds everything: the totals are in the tables, the journal is empty.
      expect(peek<number>(first.dataDir, 'SELECT clicks FROM links WHERE code = ?', code)).toBe(n);
      expect(peek<number>(first.dataDir, 'SELECT count(*) FROM link_click_journal')).toBe(0);
    } finally {
      await first.stop('SIGKILL');
      fs.rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
