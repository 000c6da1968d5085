import fs from 'node:fs';
import type { Link } from '@switchboard/shared';
import { describe, expect, it } from 'vitest';
import { callApi } from '../../test-support/accounts.js';
import { spawnServer } from '../../test-support/spawn-server.js';

describe('clicks across a shutdown', () => {
  it('loses no click on SIGTERM, even with a long flush interval', async () => {
    const env = { LINKS_PER_MINUTE_PER_IP: '0', CLICK_FLUSH_MS: '3600000' };
    const first = await spawnServer({ env });
    try {
      const created = await callApi<Link>(first.baseUrl, 'POST', '/api/links', {
        body: { url: 'https://example.com/durable' },
      });
      expect(created.status).toBe(201);
      const code = created.body.code;
      const n = 150;
      const statuses = await Promise.all(
        Array.from({ length: n }, () =>
          fetch(`${first.baseUrl}/${code}`, { redirect: 'manual' }).then((r) => r.status),
        ),
      );
      expect(statuses.every((s) => s === 302)).toBe(true);
      expect(await first.stop('SIGTERM')).toBe(0);

      const second = await spawnServer({ env, dataDir: first.dataDir });
      try {
        const info = await callApi<Link>(second.baseUrl, 'GET', `/api/links/${code}`);
        expect(info.body.clicks).toBe(n);
        // The same link key: the code still redirects after the restart.
        const res = await fetch(`${second.baseUrl}/${code}`, { redirect: 'manual' });
        expect(res.headers.get('location')).toBe('https://example.com/durable');
      } finally {
        await second.stop('SIGKILL');
      }
    } finally {
      await first.stop('SIGKILL');
      fs.rmSync(first.dataDir, { recursive: true, force: true });
    }
  });

  it('counts every redirect answered while a SIGTERM stops the server under load', async () => {
    const env = { LINKS_PER_MINUTE_PER_IP: '0', CLICK_FLUSH_MS: '3600000' };
    const first = await spawnServer({ env });
    try {
      const created = await callApi<Link>(first.baseUrl, 'POST', '/api/links', {
        body: { url: 'https://example.com/under-load' },
      });
      const code = created.body.code;
      let answered = 0;
      const shutdown: { exit: Promise<number | null> | null } = { exit: null };
      const worker = async () => {
        for (;;) {
          try {
            const res = await fetch(`${first.baseUrl}/${code}`, { redirect: 'manual' });
            if (res.status !== 302) return;
            answered++;
          } catch {
            return; // refused or reset: the server has stopped taking requests
          }
          if (answered >= 200 && shutdown.exit === null) shutdown.exit = first.stop('SIGTERM');
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      expect(await shutdown.exit).toBe(0);
      expect(answered).toBeGreaterThanOrEqual(200);

      const second = await spawnServer({ env, dataDir: first.dataDir });
      try {
        const info = await callApi<Link>(second.baseUrl, 'GET', `/api/links/${code}`);
        expect(info.body.clicks).toBe(answered);
      } finally {
        await second.stop('SIGKILL');
      }
    } finally {
      await first.stop('SIGKILL');
      fs.rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
