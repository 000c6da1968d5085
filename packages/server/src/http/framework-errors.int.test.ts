import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/test-app.js';
import { startWebAppTestServer } from '../test-support/web-dist.js';

/** An answer as it came off the wire. */
interface RawAnswer {
  status: number;
  contentType: string;
  text: string;
}

/**
 * Sends a request with its path exactly as given (`fetch` and `URL` would normalise or
 * refuse some of the paths these tests need).
 */
function send(
  baseUrl: string,
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: hostname, port, method, path: target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'] ?? '',
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** Writes `raw` on a fresh connection and reads until the server closes it. */
function sendRaw(baseUrl: string, raw: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(raw));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server closes right after its answer; a reset after it is no failure.
      if (error.code !== 'ECONNRESET') reject(error);
    });
  });
}

/** Asserts the one error shape with `code`, and nothing of Fastify's own shape. */
function expectErrorShape(answer: RawAnswer, status: number, code: string, where: string): void {
  expect(answer.status, where).toBe(status);
  expect(answer.contentType, where).toMatch(/^application\/json/);
  const body = JSON.parse(answer.text) as unknown;
  expect(body, where).toEqual({ error: { code, message: expect.any(String) } });
}

const LONG = 'a'.repeat(300);
const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const JSON_BODY = { 'content-type': 'application/json' };

describe('errors Fastify raises itself', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startWebAppTestServer();
  });
  afterAll(() => server.close());

  describe('paths the router refuses', () => {
    // The page paths go through the raw redirect path first (links are on, requests not
    // logged), which hands them to Fastify; the API paths go to Fastify directly.
    const pages = [
      '/%ff',
      '/%',
      '/%zz',
      '/%ff+',
      '/%E2%82',
      `/${LONG}`,
      `/${LONG}+`,
      '/assets/%ff',
    ];
    const api = [
      '/api/links/%ff',
      '/api/links/%ff/stats',
      '/api/%ff',
      `/api/links/${LONG}`,
      `/api/links/${LONG}/stats`,
      `/api/users/by-username/${LONG}`,
    ];

    it('answers 404 NOT_FOUND in the one error shape to API clients', async () => {
      for (const target of [...pages, ...api]) {
        const answer = await send(server.baseUrl, 'GET', target);
        expectErrorShape(answer, 404, 'NOT_FOUND', target);
        expect(answer.text, target).not.toContain('FST_ERR');
      }
      for (const [method, target] of [
        ['POST', '/%ff+'],
        ['DELETE', '/api/links/%ff'],
        ['PATCH', `/api/links/${LONG}`],
      ] as const) {
        const answer = await send(server.baseUrl, method, target, JSON_BODY, '{}');
        expectErrorShape(answer, 404, 'NOT_FOUND', `${method} ${target}`);
      }
    });

    it('says what is wrong with the path, quoting at most the start of it', async () => {
      const bad = JSON.parse((await send(server.baseUrl, 'GET', '/%ff')).text) as {
        error: { message: string };
      };
      expect(bad.error.message).toBe(
        'Nothing at GET /%ff: the path is not valid percent-encoded UTF-8.',
      );
      const long = JSON.parse((await send(server.baseUrl, 'GET', `/api/links/${LONG}`)).text) as {
        error: { message: string };
      };
      expect(long.error.message).toMatch(/^Nothing at GET \/api\/links\/a+…: a path segment is/);
      expect(long.error.message.length).toBeLessThan(200);
    });

    it('answers browsers with the HTML page of an unknown link', async () => {
      const unknownLink = await send(server.baseUrl, 'GET', '/nosuch1', HTML);
      expect(unknownLink.status).toBe(404);
      const title = /<title>(.*?)<\/title>/.exec(unknownLink.text)?.[1];
      expect(title).toBe('Not found · Switchboard');
      for (const target of pages) {
        const answer = await send(server.baseUrl, 'GET', target, HTML);
        expect(answer.status, target).toBe(404);
        expect(answer.contentType, target).toMatch(/^text\/html/);
        expect(answer.text, target).toContain(`<title>${title}</title>`);
        expect(answer.text, target).toContain('NOT_FOUND');
        expect(answer.text, target).not.toContain('FST_ERR');
      }
      // The API answers JSON whatever the Accept header says, as everywhere else.
      expectErrorShape(
        await send(server.baseUrl, 'GET', '/api/links/%ff', HTML),
        404,
        'NOT_FOUND',
        'api',
      );
    });

    it('counts them in the metrics as unmatched requests', async () => {
      await send(server.baseUrl, 'GET', '/%ff');
      const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(
        /http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} [1-9]/,
      );
    });

    it('still serves what lives at the same paths spelled right', async () => {
      const created = await send(
        server.baseUrl,
        'POST',
        '/api/links',
        JSON_BODY,
        JSON.stringify({ url: 'https://example.com/framework-errors', alias: 'caf-link' }),
      );
      expect(created.status).toBe(201);
      // A percent-encoded spelling of a valid code decodes to it.
      const encoded = await send(server.baseUrl, 'GET', '/caf%2Dlink');
      expect(encoded.status).toBe(302);
      expect((await send(server.baseUrl, 'GET', '/caf-link')).status).toBe(302);
      // 256 characters is the router's limit: one under it reaches the route.
      const longest = await send(server.baseUrl, 'GET', `/${'a'.repeat(256)}`);
      expectErrorShape(longest, 404, 'LINK_NOT_FOUND', 'a 256-character code');
    });
  });

  describe('bodies the content-type parsers refuse', () => {
    it('answers each in the one error shape with its own code', async () => {
      const cases: [string, Record<string, string>, string | Buffer, number, string][] = [
        ['empty JSON body', JSON_BODY, '', 400, 'INVALID_REQUEST'],
        ['bad JSON', JSON_BODY, '{"url":', 400, 'INVALID_REQUEST'],
        ['prototype poisoning', JSON_BODY, '{"__proto__":{"x":1}}', 400, 'INVALID_REQUEST'],
        [
          'constructor poisoning',
          JSON_BODY,
          '{"constructor":{"prototype":{"x":1}}}',
          400,
          'INVALID_REQUEST',
        ],
        ['body over 1 MiB', JSON_BODY, Buffer.alloc(1024 * 1024 + 1, 32), 413, 'PAYLOAD_TOO_LARGE'],
        ['XML', { 'content-type': 'application/xml' }, '<a/>', 415, 'UNSUPPORTED_MEDIA_TYPE'],
        [
          'a form',
          { 'content-type': 'application/x-www-form-urlencoded' },
          'url=x',
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        ],
        ['no content type', {}, '{}', 415, 'UNSUPPORTED_MEDIA_TYPE'],
        [
          'an unparsable content type',
          { 'content-type': ';;' },
          '{}',
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        ],
      ];
      for (const [what, headers, body, status, code] of cases) {
        expectErrorShape(
          await send(server.baseUrl, 'POST', '/api/links', headers, body),
          status,
          code,
          what,
        );
      }
      expectErrorShape(
        await send(server.baseUrl, 'DELETE', '/api/links/abcdefg', JSON_BODY, ''),
        400,
        'INVALID_REQUEST',
        'DELETE with an empty JSON body',
      );
    });

    it('answers browsers posting the password form with the HTML error page', async () => {
      const form = { ...HTML, 'content-type': 'application/x-www-form-urlencoded' };
      const tooLarge = await send(server.baseUrl, 'POST', '/abcdefg+', form, 'a='.repeat(5000));
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.contentType).toMatch(/^text\/html/);
      expect(tooLarge.text).toContain('PAYLOAD_TOO_LARGE');
      const multipart = await send(
        server.baseUrl,
        'POST',
        '/abcdefg+',
        { ...HTML, 'content-type': 'multipart/form-data; boundary=x' },
        '--x--',
      );
      expect(multipart.status).toBe(415);
      expect(multipart.contentType).toMatch(/^text\/html/);
      expect(multipart.text).toContain('UNSUPPORTED_MEDIA_TYPE');
    });
  });

  describe('client errors of the static files plugin', () => {
    it('answers them with a 4xx code, not a logged INTERNAL 500', async () => {
      const asset = '/assets/app-1234.js';
      const cases: [string, string, Record<string, string>, number, string][] = [
        ['a range past the end', asset, { range: 'bytes=9999-' }, 416, 'RANGE_NOT_SATISFIABLE'],
        ['a failed If-Match', asset, { 'if-match': '"nope"' }, 412, 'PRECONDITION_FAILED'],
        [
          'a failed If-Unmodified-Since',
          '/favicon.svg',
          { 'if-unmodified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' },
          412,
          'PRECONDITION_FAILED',
        ],
        [
          'a range of the app page',
          '/login',
          { range: 'bytes=9999-' },
          416,
          'RANGE_NOT_SATISFIABLE',
        ],
        ['a path out of the root', '/assets/%2e%2e/index.html', {}, 403, 'FORBIDDEN'],
        ['a NUL byte', '/assets/a%00b.js', {}, 400, 'INVALID_REQUEST'],
      ];
      for (const [what, target, headers, status, code] of cases) {
        const answer = await send(server.baseUrl, 'GET', target, headers);
        expectErrorShape(answer, status, code, what);
        expect(answer.text, what).not.toMatch(/\/|\\|app-1234/);
      }
      // The same, as a page for a browser.
      const page = await send(server.baseUrl, 'GET', '/login', { ...HTML, range: 'bytes=9999-' });
      expect(page.status).toBe(416);
      expect(page.contentType).toMatch(/^text\/html/);
      expect(page.text).toContain('RANGE_NOT_SATISFIABLE');
    });
  });

  describe('requests the HTTP parser refuses', () => {
    it('answers them in the one error shape', async () => {
      const cases: [string, string][] = [
        [
          'headers over 16 KB',
          `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        ],
        ['a malformed request line', 'GET /healthz HTTP/9\r\n\r\n'],
        [
          'both Content-Length and chunked',
          'POST /api/links HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        ],
      ];
      for (const [what, raw] of cases) {
        const answer = await sendRaw(server.baseUrl, raw);
        const [head = '', body = ''] = answer.split('\r\n\r\n');
        expect(head, what).toMatch(/^HTTP\/1\.1 400 /);
        expect(head.toLowerCase(), what).toContain('content-type: application/json');
        expect(JSON.parse(body), what).toEqual({
          error: { code: 'INVALID_REQUEST', message: expect.any(String) },
        });
      }
    });
  });

  describe('requests on open connections while the server closes', () => {
    /** Starts a request on a fresh connection; `finish` sends the rest of it. */
    async function begin(baseUrl: string, requestLine: string) {
      const { hostname, port } = new URL(baseUrl);
      const socket = net.connect(Number(port), hostname);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      const closed = new Promise<string>((resolve) =>
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8'))),
      );
      socket.on('error', () => undefined);
      // A request begun is not idle: closing the server waits for it.
      socket.write(`${requestLine}\r\nHost: x\r\n`);
      return (headers: string) => {
        socket.write(`${headers}\r\n`);
        return closed;
      };
    }
    const parse = (answer: string) => {
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      return { head: head.toLowerCase(), body };
    };

    it('answers 503 SERVICE_UNAVAILABLE in the one shape, and readiness in its own', async () => {
      await using other = await startTestServer();
      const api = await begin(other.baseUrl, 'GET /api/links/abcdefg HTTP/1.1');
      const page = await begin(other.baseUrl, 'GET /abcdefg HTTP/1.1');
      const ready = await begin(other.baseUrl, 'GET /readyz HTTP/1.1');
      const closing = other.app.close();
      const [apiAnswer, pageAnswer, readyAnswer] = await Promise.all([
        api('Accept: application/json\r\n'),
        page('Accept: text/html\r\n'),
        ready('\r\n'),
      ]);
      await closing;

      const json = parse(apiAnswer);
      expect(json.head).toMatch(/^http\/1\.1 503 /);
      expect(json.head).toContain('connection: close');
      expect(json.head).toContain('content-type: application/json');
      expect(JSON.parse(json.body)).toEqual({
        error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) },
      });
      const html = parse(pageAnswer);
      expect(html.head).toMatch(/^http\/1\.1 503 /);
      expect(html.head).toContain('content-type: text/html');
      expect(html.body).toContain('SERVICE_UNAVAILABLE');
      const readiness = parse(readyAnswer);
      expect(readiness.head).toMatch(/^http\/1\.1 503 /);
      expect(JSON.parse(readiness.body)).toMatchObject({
        status: 'unavailable',
        checks: { server: 'shutting down' },
      });
    });
  });
});
