import { randomInt } from 'node:crypto';
import http from 'node:http';

/**
 * The links benchmark's baseline: a bare `node:http` server that keeps links in a
 * `Map` and answers `GET /<code>` with a 302 from it. No framework, no validation
 * beyond parsing, no storage, no click counting: what a redirect costs in Node.js
 * before any product is built on it. It also takes `POST /api/links { url }` (parse,
 * check the URL, pick a random code, answer 201 with JSON) so that creation has a
 * reference and the same load script seeds both servers.
 *
 * Configured by PORT (and HOST, default 127.0.0.1).
 */

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const links = new Map<string, string>();
const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const origin = `http://${host}:${port}`;

function newCode(): string {
  for (;;) {
    let code = '';
    for (let i = 0; i < 7; i++) code += ALPHABET[randomInt(62)];
    if (!links.has(code)) return code;
  }
}

function create(body: string, response: http.ServerResponse): void {
  let url: URL;
  try {
    const parsed = JSON.parse(body) as { url?: unknown };
    if (typeof parsed.url !== 'string') throw new Error('no url');
    url = new URL(parsed.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    response.writeHead(400, { 'content-type': 'application/json' });
    response.end('{"error":{"code":"INVALID_URL","message":"bad url"}}');
    return;
  }
  const code = newCode();
  links.set(code, url.href);
  response.writeHead(201, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ code, shortUrl: `${origin}/${code}`, url: url.href }));
}

const server = http.createServer((request, response) => {
  const path = request.url ?? '/';
  if (request.method === 'POST' && path === '/api/links') {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => create(Buffer.concat(chunks).toString('utf8'), response));
    return;
  }
  if (path === '/healthz') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"status":"ok"}');
    return;
  }
  const target = links.get(path.slice(1));
  if (target === undefined) {
    response.writeHead(404);
    response.end();
    return;
  }
  response.writeHead(302, { location: target });
  response.end();
});

server.keepAliveTimeout = 65_000;
server.listen(port, host);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// Keep-alive sockets would hold `close` open: the load generator is gone by now.
process.on('SIGTERM', () => server.closeAllConnections());
