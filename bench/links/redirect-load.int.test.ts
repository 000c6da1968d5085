import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRedirectRequests, runRedirectLoad } from './redirect-load.js';

describe(runRedirectLoad.name, () => {
  /** The paths each connection asked for, in order, keyed by its client port. */
  const seen = new Map<number, string[]>();
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      const port = request.socket.remotePort!;
      const list = seen.get(port) ?? [];
      list.push(`${request.method} ${request.url} ${request.headers.host}`);
      seen.set(port, list);
      response.writeHead(302, { location: 'https://example.com/', 'content-length': '0' });
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('builds the bytes autocannon would send for each path', () => {
    const built = buildRedirectRequests('http://127.0.0.1:4321', [['/abc']]);
    expect(built[0]![0]!.requestBuffer.toString()).toBe(
      'GET /abc HTTP/1.1\r\nHost: 127.0.0.1:4321\r\nConnection: keep-alive\r\n\r\n',
    );
  });

  it('has each connection cycle through its own prebuilt paths, in order', async () => {
    const paths = [
      ['/a1', '/a2', '/a3'],
      ['/b1', '/b2'],
      ['/c1', '/c2', '/c3', '/c4'],
    ];
    const result = await runRedirectLoad({ url, connections: 3, durationS: 1, paths });
    expect(result.statuses).toEqual({ '302': result.responses });
    expect(result.errors).toBe(0);
    expect(result.responses).toBeGreaterThan(30);
    const host = new URL(url).host;
    const lists = [...seen.values()];
    expect(lists).toHaveLength(3);
    for (const list of lists) {
      const own = paths.find((p) => list[0] === `GET ${p[0]} ${host}`)!;
      expect(own).toBeDefined();
      expect(list).toEqual(list.map((_, i) => `GET ${own[i % own.length]} ${host}`));
    }
  });
});
