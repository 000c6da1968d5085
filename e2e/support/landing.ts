import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The origin short links point at in tests. */
export const LANDING_ORIGIN = 'http://landing.test';

/** A page short links can land on, without leaving the machine. */
export interface Landing {
  /** Chromium flag that sends `landing.test` to this server instead of the DNS. */
  readonly chromiumArg: string;
  /** Every request the landing site received (path and Referer), in order. */
  readonly visits: { path: string; referer: string | undefined }[];
  close(): Promise<void>;
}

/**
 * Starts a small site on a free loopback port that answers every path with a page
 * naming it. The server under test refuses loopback targets (they would point at
 * itself), so links target `landing.test`, which the browser maps here.
 */
export async function startLanding(): Promise<Landing> {
  const visits: Landing['visits'] = [];
  const server = http.createServer((request, response) => {
    const path = request.url ?? '/';
    visits.push({ path, referer: request.headers.referer });
    const name = path.split('?')[0]?.replaceAll(/[^\w/.-]/g, '') ?? '/';
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(
      `<!doctype html><html lang="en"><title>Landing page</title><h1>Landed on ${name}</h1></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    chromiumArg: `--host-resolver-rules=MAP landing.test 127.0.0.1:${port}`,
    visits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
