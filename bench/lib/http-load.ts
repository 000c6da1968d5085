import autocannon from 'autocannon';
import { LatencyRecorder, type LatencySummary } from './latency.js';

/**
 * HTTP load with autocannon, run from this process (the server under test is another
 * one). Latencies go into our own HDR histogram at microsecond resolution for every
 * status (autocannon's own keeps whole milliseconds and only 2xx answers, and a
 * redirect is a 3xx).
 */

/** One load run. */
export interface HttpLoadOptions {
  readonly url: string;
  readonly connections: number;
  /** Seconds to run; ignored when `amount` is set. */
  readonly durationS?: number;
  /** Total requests to make, across connections, before stopping. */
  readonly amount?: number;
  readonly method?: 'GET' | 'POST' | 'HEAD';
  readonly headers?: Record<string, string>;
  /** The body of request `n` (0, 1, 2... across connections), built as it is sent. */
  readonly bodyFor?: (n: number) => string;
  /**
   * The paths connection `i` cycles through, prepared once so that rotating over many
   * paths costs the generator nothing per request.
   */
  readonly pathsFor?: (connection: number) => readonly string[];
  /** Called with every response body (which makes autocannon read bodies). */
  readonly onBody?: (status: number, body: string) => void;
}

/** What a run measured. */
export interface HttpLoadResult {
  readonly responses: number;
  readonly seconds: number;
  /** Responses per second over the run. */
  readonly rate: number;
  readonly latency: LatencySummary;
  /** Responses per status code. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly timeouts: number;
  /** Cores this process (the generator) used on average: near 1.0 means it was the limit. */
  readonly generatorCores: number;
}

/** Runs autocannon with `options` and measures latency per response. */
export async function runHttpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  let nextConnection = 0;
  const pathsFor = options.pathsFor;
  const { onBody, bodyFor } = options;
  let bodies = 0;
  // autocannon's own `[<id>]` replacement leaves Content-Length at the template's length,
  // so unique bodies are built here instead.
  const request: autocannon.Request = {
    ...(bodyFor
      ? { setupRequest: (req: autocannon.Request) => ({ ...req, body: bodyFor(bodies++) }) }
      : {}),
    ...(onBody ? { onResponse: (status: number, body: string) => onBody(status, body) } : {}),
  };
  return measureAutocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationS ?? 10,
    amount: options.amount,
    method: options.method ?? 'GET',
    headers: options.headers,
    // A slow server must show up as latency, not as a reconnect storm.
    timeout: 30,
    ...(onBody || bodyFor ? { requests: [request] } : {}),
    ...(pathsFor
      ? {
          setupClient: (client: autocannon.Client) => {
            const paths = pathsFor(nextConnection++);
            if (paths.length === 0) throw new Error('a connection needs at least one path');
            client.setRequests(paths.map((path) => ({ method: options.method ?? 'GET', path })));
          },
        }
      : {}),
  });
}

/**
 * Runs autocannon with `options` from this process, recording the latency of every
 * response (whatever its status) in our histogram, and the generator's own CPU.
 */
export async function measureAutocannon(options: autocannon.Options): Promise<HttpLoadResult> {
  const recorder = new LatencyRecorder();
  let responses = 0;
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  let settle: (error: unknown, result: autocannon.Result) => void = () => undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    settle = (error, result) =>
      error
        ? reject(error instanceof Error ? error : new Error(`autocannon: ${JSON.stringify(error)}`))
        : resolve(result);
  });
  const instance = autocannon(options, (error, result) => settle(error, result));
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    responses++;
    recorder.record(responseTime);
  });
  const result = await finished;
  const seconds = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const statuses: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    statuses[code] = stats.count ?? 0;
  }
  return {
    responses,
    seconds,
    rate: responses / seconds,
    latency: recorder.summary(),
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    generatorCores: (cpu.user + cpu.system) / 1e6 / seconds,
  };
}

/**
 * Throws unless every response had one of `expected` statuses and nothing failed: a
 * benchmark that counts 404s or resets as throughput measures nothing.
 */
export function assertStatuses(
  what: string,
  result: HttpLoadResult,
  expected: readonly number[],
): void {
  const unexpected = Object.entries(result.statuses).filter(
    ([code]) => !expected.includes(Number(code)),
  );
  if (unexpected.length > 0 || result.errors > 0 || result.responses === 0) {
    throw new Error(
      `${what}: expected only ${expected.join('/')} but got ${JSON.stringify(result.statuses)}, ` +
        `${result.errors} errors (${result.timeouts} timeouts), ${result.responses} responses`,
    );
  }
}
