import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../test-support/test-app.js';
import { startWebAppTestServer } from '../test-support/web-dist.js';
import { installWebApp } from './web-app.js';

describe(installWebApp.name, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startWebAppTestServer();
  });
  afterAll(() => server.close());

  it('serves the app page at its routes, always revalidated', async () => {
    for (const route of ['/', '/login', '/links/abc1234', '/chat/some-conversation', '/settings']) {
      const res = await fetch(`${server.baseUrl}${route}`);
      expect(res.status, route).toBe(200);
      expect(res.headers.get('cache-control'), route).toBe('no-cache');
      expect(await res.text()).toContain('<title>app</title>');
    }
  });

  it('serves hashed assets as immutable', async () => {
    const res = await fetch(`${server.baseUrl}/assets/app-1234.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
  });

  it('serves the files at the root of the build for an hour', async () => {
    const res = await fetch(`${server.baseUrl}/favicon.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
  });

  it('leaves single-segment paths that are not pages to short links', async () => {
    const res = await fetch(`${server.baseUrl}/abc1234`, { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'LINK_NOT_FOUND' } });
  });
});
