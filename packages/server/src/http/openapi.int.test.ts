import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../test-support/test-app.js';
import { startWebAppTestServer } from '../test-support/web-dist.js';
import { OPERATIONS_TAG } from './openapi.js';
import { WEB_APP_ROUTES } from './web-app.js';

interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  responses: Record<string, { description: string; content?: Record<string, unknown> }>;
}

interface Document {
  tags?: { name: string; description: string }[];
  paths: Record<string, Record<string, Operation>>;
}

/**
 * The only routes the OpenAPI document may leave out: pages for people, not API. The
 * short links' redirect, preview and password form (`/:code`), and the web app: its
 * screens, its hashed assets and the files at the root of its build.
 */
const PAGES = new Set<string>(['/:code', ...WEB_APP_ROUTES, '/assets/*', '/favicon.svg']);

describe('the OpenAPI document', () => {
  let server: TestServer;
  let doc: Document;
  beforeAll(async () => {
    // With the web app built, so that its routes are among those checked.
    server = await startWebAppTestServer();
    doc = (await (await fetch(`${server.baseUrl}/api/openapi.json`)).json()) as Document;
  });
  afterAll(() => server.close());

  it('leaves out only pages: every other route, hidden or not, is in it', () => {
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
      ),
    );
    const routes = server.app.routes.filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS');
    const hiddenApi = routes
      .filter((r) => r.hidden && !PAGES.has(r.url))
      .map((r) => `${r.method} ${r.url}`);
    expect(hiddenApi).toEqual([]);
    const missing = routes
      .filter((r) => !PAGES.has(r.url))
      .map((r) => `${r.method} ${r.url}`)
      .filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
    // The pages are really there (the check is not vacuous) and really left out.
    const pages = routes.filter((r) => PAGES.has(r.url)).map((r) => `${r.method} ${r.url}`);
    expect(pages).toEqual(expect.arrayContaining(['GET /:code', 'POST /:code', 'GET /assets/*']));
    expect(pages.filter((r) => documented.has(r))).toEqual([]);
  });

  it('documents health, readiness, metrics and itself under the operations tag', () => {
    expect(doc.tags).toContainEqual({ name: OPERATIONS_TAG, description: expect.any(String) });
    for (const route of ['/healthz', '/readyz', '/metrics', '/api/openapi.json']) {
      const get = doc.paths[route]?.get;
      expect(get, route).toBeDefined();
      expect(get?.tags, route).toEqual([OPERATIONS_TAG]);
      expect(get?.summary, route).toEqual(expect.any(String));
      expect(get?.description, route).toEqual(expect.any(String));
      expect(get?.responses['200']?.description, route).toEqual(expect.any(String));
    }
    const healthz = doc.paths['/healthz']!.get!;
    expect(Object.keys(healthz.responses['200']?.content ?? {})).toEqual(['application/json']);

    const readyz = doc.paths['/readyz']!.get!;
    expect(Object.keys(readyz.responses)).toEqual(['200', '503']);
    expect(readyz.responses['503']?.description).toMatch(/shutting down/);
    expect(JSON.stringify(readyz.responses['200']?.content)).toContain('"checks"');

    const metrics = doc.paths['/metrics']!.get!;
    expect(metrics.responses['200']?.content).toEqual({
      'text/plain': { schema: { type: 'string' } },
    });
    expect(metrics.description).toMatch(/Prometheus text exposition format/);
  });

  it('describes what the routes answer', async () => {
    // Each answer passes its documented schema (the serializer checks it) and type.
    const healthz = await fetch(`${server.baseUrl}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.json()).toEqual({ status: 'ok' });
    const readyz = await fetch(`${server.baseUrl}/readyz`);
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toEqual({ status: 'ready', checks: { database: 'ok' } });
    const metrics = await fetch(`${server.baseUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toMatch(/^# HELP /m);
  });
});
