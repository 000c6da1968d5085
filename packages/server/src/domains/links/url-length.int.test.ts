import { URL_MAX_LENGTH, type Link } from '@switchboard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, registerUser, type TestUser } from '../../test-support/accounts.js';
import { startTestServer, type TestServer } from '../../test-support/test-app.js';

interface ErrorAnswer {
  error: { code: string; message: string };
}

/** An absolute URL of exactly `length` characters. */
function urlOfLength(length: number): string {
  const prefix = 'https://example.com/';
  return prefix + 'a'.repeat(length - prefix.length);
}

// docs/links.md: anything over URL_MAX_LENGTH characters is URL_TOO_LONG, however long.
// The schema's own cap (65,536) used to answer INVALID_REQUEST above it.
describe('over-long link targets', () => {
  let server: TestServer;
  let alice: TestUser;
  let code: string;

  beforeAll(async () => {
    server = await startTestServer({
      LINKS_PER_MINUTE_PER_IP: '0',
      LINKS_PER_MINUTE_PER_ACCOUNT: '0',
    });
    alice = await registerUser(server.baseUrl);
    const created = await callApi<Link>(server.baseUrl, 'POST', '/api/links', {
      token: alice.token,
      body: { url: 'https://example.com/short' },
    });
    expect(created.status).toBe(201);
    code = created.body.code;
  });
  afterAll(() => server.close());

  const lengths = [URL_MAX_LENGTH + 1, 65_536, 65_537, 1_000_000];

  it.each(lengths)('POST /api/links answers URL_TOO_LONG for a %i-character URL', async (n) => {
    const res = await callApi<ErrorAnswer>(server.baseUrl, 'POST', '/api/links', {
      body: { url: urlOfLength(n) },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('URL_TOO_LONG');
    expect(res.body.error.message).toContain(String(URL_MAX_LENGTH));
  });

  it.each(lengths)(
    'PATCH /api/links/:code answers URL_TOO_LONG for a %i-character URL',
    async (n) => {
      const res = await callApi<ErrorAnswer>(server.baseUrl, 'PATCH', `/api/links/${code}`, {
        token: alice.token,
        body: { url: urlOfLength(n) },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('URL_TOO_LONG');
      const link = await callApi<Link>(server.baseUrl, 'GET', `/api/links/${code}`, {
        token: alice.token,
      });
      expect(link.body.url).toBe('https://example.com/short');
    },
  );

  it('accepts a URL of exactly the limit', async () => {
    const res = await callApi<Link>(server.baseUrl, 'POST', '/api/links', {
      body: { url: urlOfLength(URL_MAX_LENGTH) },
    });
    expect(res.status).toBe(201);
  });

  it('answers 413 PAYLOAD_TOO_LARGE for a body over the 1 MiB request limit', async () => {
    const res = await callApi<ErrorAnswer>(server.baseUrl, 'POST', '/api/links', {
      body: { url: urlOfLength(1024 * 1024 + 1) },
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('documents the limit in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.baseUrl}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, OpenApiOperation>>;
    };
    for (const [path, method] of [
      ['/api/links', 'post'],
      ['/api/links/{code}', 'patch'],
    ] as const) {
      const url =
        doc.paths[path]?.[method]?.requestBody?.content['application/json']?.schema.properties?.url;
      expect(url, `${method} ${path}`).toMatchObject({ type: 'string', maxLength: URL_MAX_LENGTH });
      expect(url?.description).toContain('URL_TOO_LONG');
    }
  });
});

interface OpenApiOperation {
  requestBody?: {
    content: Record<
      string,
      {
        schema: {
          properties?: Record<string, { type?: string; maxLength?: number; description?: string }>;
        };
      }
    >;
  };
}
