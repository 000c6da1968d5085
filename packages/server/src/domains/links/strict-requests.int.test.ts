import type { Group, Link } from '@switchboard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, registerUser, type TestUser } from '../../test-support/accounts.js';
import { startTestServer, type TestServer } from '../../test-support/test-app.js';

interface ErrorAnswer {
  error: { code: string; message: string; details?: Array<{ path: string; message: string }> };
}

/** The sentences of an error answer: its message and those of its details. */
function sentences(answer: ErrorAnswer): string {
  return [answer.error.message, ...(answer.error.details ?? []).map((d) => d.message)].join('\n');
}

// An unknown field in a request body used to be dropped without a word: PATCH
// /api/links/:code {"alias": ...} answered 200 and changed nothing. Every request body
// now refuses fields it does not know, naming them (links, accounts and chat alike).
describe('unknown fields in request bodies', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let code: string;
  let groupId: string;

  beforeAll(async () => {
    server = await startTestServer({
      LINKS_PER_MINUTE_PER_IP: '0',
      LINKS_PER_MINUTE_PER_ACCOUNT: '0',
    });
    [alice, bob] = await Promise.all([registerUser(server.baseUrl), registerUser(server.baseUrl)]);
    const link = await callApi<Link>(server.baseUrl, 'POST', '/api/links', {
      token: alice.token,
      body: { url: 'https://example.com/strict' },
    });
    expect(link.status).toBe(201);
    code = link.body.code;
    const group = await callApi<Group>(server.baseUrl, 'POST', '/api/groups', {
      token: alice.token,
      body: { name: 'strict', members: [bob.userId] },
    });
    expect(group.status).toBe(201);
    groupId = group.body.groupId;
  });
  afterAll(() => server.close());

  const api = <T>(method: string, url: string, body: unknown, token: string | undefined) =>
    callApi<T>(server.baseUrl, method, url, { body, token });

  it('PATCH /api/links/:code {"alias"} answers 400 INVALID_REQUEST naming alias, and changes nothing', async () => {
    const res = await api<ErrorAnswer>('PATCH', `/api/links/${code}`, { alias: 'x' }, alice.token);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    expect(sentences(res.body)).toContain('Unknown field "alias"');
    // The message itself says what is wrong, not only its details.
    expect(res.body.error.message).toMatch(
      /^The body does not match its schema: Unknown field "alias"/,
    );
    const link = await api<Link>('GET', `/api/links/${code}`, undefined, alice.token);
    expect(link.body).toMatchObject({ code, url: 'https://example.com/strict' });
    expect(link.body.updatedAt).toBe(link.body.createdAt);
  });

  it('POST /api/links with an unknown field makes no link', async () => {
    const res = await api<ErrorAnswer>(
      'POST',
      '/api/links',
      { url: 'https://example.com/titled', title: 'My link' },
      alice.token,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    expect(sentences(res.body)).toContain('Unknown field "title"');
    const page = await api<{ items: Link[] }>('GET', '/api/links', undefined, alice.token);
    expect(page.body.items.map((l) => l.url)).not.toContain('https://example.com/titled');
  });

  // Each body is valid but for one extra field, so the refusal can only be that field.
  const cases: Array<[string, string, () => string, () => Record<string, unknown>, string]> = [
    [
      'POST',
      '/api/auth/register',
      () => '',
      () => ({ username: 'strict_reg', password: 'a good long password', nickname: 'x' }),
      'nickname',
    ],
    [
      'POST',
      '/api/auth/login',
      () => '',
      () => ({ username: alice.username, password: 'whatever it is', remember: true }),
      'remember',
    ],
    [
      'POST',
      '/api/auth/password',
      () => alice.token,
      () => ({ currentPassword: 'x', newPassword: 'y', confirmPassword: 'y' }),
      'confirmPassword',
    ],
    [
      'PATCH',
      '/api/me',
      () => alice.token,
      () => ({ displayName: 'A', avatar: 'a.png' }),
      'avatar',
    ],
    ['POST', '/api/tokens', () => alice.token, () => ({ name: 'ci', scopes: ['links'] }), 'scopes'],
    [
      'POST',
      '/api/links',
      () => '',
      () => ({ url: 'https://example.com/', expiresIn: 3600 }),
      'expiresIn',
    ],
    [
      'PATCH',
      '/api/links/:code',
      () => alice.token,
      () => ({ maxClicks: 5, redirect_type: 301 }),
      'redirect_type',
    ],
    [
      'POST',
      '/api/links/:code/unlock',
      () => '',
      () => ({ password: 'guess', remember: true }),
      'remember',
    ],
    [
      'POST',
      '/api/groups',
      () => alice.token,
      () => ({ name: 'g', members: [], description: 'd' }),
      'description',
    ],
    [
      'PATCH',
      '/api/groups/:groupId',
      () => alice.token,
      () => ({ name: 'g', topic: 't' }),
      'topic',
    ],
    [
      'POST',
      '/api/groups/:groupId/members',
      () => alice.token,
      () => ({ userId: bob.userId, role: 'admin' }),
      'role',
    ],
    [
      'PATCH',
      '/api/groups/:groupId/members/:userId',
      () => alice.token,
      () => ({ role: 'admin', notify: false }),
      'notify',
    ],
  ];

  it.each(cases)('%s %s refuses an unknown field', async (method, route, token, body, field) => {
    const url = route
      .replace(':code', code)
      .replace(':groupId', groupId)
      .replace(':userId', bob.userId);
    const t = token();
    const res = await api<ErrorAnswer>(method, url, body(), t === '' ? undefined : t);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    expect(sentences(res.body)).toContain(`Unknown field "${field}"`);
  });

  it('names the fields the request takes, and quotes a huge unknown name only in part', async () => {
    const huge = 'k'.repeat(100_000);
    const res = await api<ErrorAnswer>(
      'PATCH',
      `/api/links/${code}`,
      { [huge]: 1, url: 'https://example.com/x' },
      alice.token,
    );
    expect(res.status).toBe(400);
    const text = sentences(res.body);
    expect(text).toContain('url, expiresAt, maxClicks, password, redirectType');
    expect(text).not.toContain('alias,');
    expect(text.length).toBeLessThan(1000);
  });

  it('documents every request body with additionalProperties: false', async () => {
    const doc = (await (await fetch(`${server.baseUrl}/api/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<
          string,
          { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }
        >
      >;
    };
    const bodies = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) =>
        Object.entries(operation.requestBody?.content ?? {}).map(([type, { schema }]) => ({
          route: `${method.toUpperCase()} ${path} (${type})`,
          additionalProperties: schema.additionalProperties,
        })),
      ),
    );
    expect(bodies.length).toBeGreaterThanOrEqual(cases.length);
    expect(bodies.filter((b) => b.additionalProperties !== false)).toEqual([]);
  });
});

// Query strings: the JSON API's are strict like bodies (a typo such as `limt` silently gave
// the default page); the QR images' are not, since those URLs are embedded in pages, cached
// for a day and refreshed with cache busters such as `?v=2`.
describe('unknown query parameters', () => {
  let server: TestServer;
  let alice: TestUser;
  let code: string;

  beforeAll(async () => {
    server = await startTestServer();
    alice = await registerUser(server.baseUrl);
    const link = await callApi<Link>(server.baseUrl, 'POST', '/api/links', {
      token: alice.token,
      body: { url: 'https://example.com/query' },
    });
    code = link.body.code;
  });
  afterAll(() => server.close());

  it.each([
    ['/api/links?limt=5', 'limt'],
    ['/api/groups?limit=5&page=2', 'page'],
    ['/api/blocks?offset=10', 'offset'],
    ['/api/links/:code/stats?day=7', 'day'],
  ])('GET %s answers 400 naming the parameter', async (path, name) => {
    const res = await callApi<ErrorAnswer>(server.baseUrl, 'GET', path.replace(':code', code), {
      token: alice.token,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    expect(sentences(res.body)).toContain(`Unknown query parameter "${name}"`);
  });

  it('still answers the known parameters', async () => {
    const res = await callApi<{ items: Link[] }>(server.baseUrl, 'GET', '/api/links?limit=1', {
      token: alice.token,
    });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
  });

  it('serves a QR code whatever cache buster its URL carries', async () => {
    const res = await fetch(`${server.baseUrl}/api/links/${code}/qr.svg?size=128&v=2&_=1717171717`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('image/svg+xml');
  });
});
