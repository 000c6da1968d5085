import { createRequire } from 'node:module';
import type autocannon from 'autocannon';
import { measureAutocannon, type HttpLoadResult } from '../lib/http-load.js';

/** autocannon's own request builder: the bytes it would send for a request. */
type BuildRequest = (request: { method: string; path: string }) => Buffer | null;
const requestBuilder = createRequire(import.meta.url)('autocannon/lib/httpRequestBuilder.js') as (
  defaults: object,
) => BuildRequest;

/** A redirect run: each connection cycles through its own paths with GET. */
export interface RedirectLoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  /** The paths of each connection (one array per connection). */
  readonly paths: readonly (readonly string[])[];
}

/** The request objects autocannon's iterator keeps, with their bytes already built. */
interface BuiltRequest {
  readonly method: 'GET';
  readonly path: string;
  readonly requestBuffer: Buffer;
}

/** The part of autocannon's client this module reaches into (not in its types). */
interface ClientIterator {
  requestIterator: {
    requests: BuiltRequest[];
    currentRequestIndex: number;
    currentRequest: BuiltRequest;
  };
}

/**
 * Builds the bytes of every request before the run. autocannon builds a client's
 * requests when the client is set up (`setRequests`), one client after another at the
 * start of the run, while the first clients' requests are already timed: over 100,000
 * paths that took about 0.8 s here, which showed as ~1 s latencies and a lower rate for
 * whichever server was measured. The bytes are autocannon's own (its builder).
 */
export function buildRedirectRequests(
  url: string,
  paths: readonly (readonly string[])[],
): BuiltRequest[][] {
  const { hostname, port } = new URL(url);
  const build = requestBuilder({ hostname, port: Number(port) || 80 });
  return paths.map((own) => {
    if (own.length === 0) throw new Error('a connection needs at least one path');
    return own.map((path) => {
      const requestBuffer = build({ method: 'GET', path });
      if (requestBuffer === null) throw new Error(`could not build GET ${path}`);
      return { method: 'GET', path, requestBuffer };
    });
  });
}

/**
 * `runHttpLoad` for redirects over many paths, with every request built before the
 * measured window (see `buildRedirectRequests`): the window, the rate and the
 * generator's CPU start when autocannon does.
 */
export async function runRedirectLoad(options: RedirectLoadOptions): Promise<HttpLoadResult> {
  if (options.paths.length !== options.connections) {
    throw new Error(`${options.connections} connections but ${options.paths.length} path lists`);
  }
  const built = buildRedirectRequests(options.url, options.paths);
  let nextConnection = 0;
  return measureAutocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationS,
    // A slow server must show up as latency, not as a reconnect storm.
    timeout: 30,
    setupClient: (client: autocannon.Client) => {
      // What `client.setRequests` leaves behind, without building the requests again.
      const requests = built[nextConnection++]!;
      const iterator = (client as unknown as ClientIterator).requestIterator;
      iterator.requests = requests;
      iterator.currentRequestIndex = 0;
      iterator.currentRequest = requests[0]!;
    },
  });
}
