import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify';
import { Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { z } from 'zod';
import { OPERATIONS_TAG } from '../http/openapi.js';

/** Creates the metrics registry of one app, with Node's process metrics. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Upper bounds of the request duration buckets, in seconds. */
export const DURATION_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

type DurationLabels = { method: string; route: string; status: number };

/** One exported value, in the shape prom-client's registry reads. */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string | number>;
  value: number;
  metricName: string;
}

/** What the registry reads from a metric. */
interface HistogramExport {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: ExportedValue[];
}

/** The counts of one label set. */
interface Series {
  readonly labels: DurationLabels;
  /** Per bucket, not cumulative; the last slot is above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram kept as plain counters, exported in prom-client's format.
 *
 * prom-client's `observe` builds, validates and hashes a label object on every call
 * (about 1.7 µs on the development machine), which every request would pay, the
 * redirect path included. Here each route's hook holds its own series, so recording
 * a request is a bucket search and three additions; the registry reads the counters
 * only when `/metrics` is scraped.
 */
export class DurationHistogram {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly #series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}

  /** The series of a label set, made on first use and kept (hooks hold on to it). */
  series(labels: DurationLabels): Series {
    const key = `${labels.method} ${labels.route} ${labels.status}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = {
        labels,
        counts: new Array<number>(this.buckets.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      this.#series.set(key, series);
    }
    return series;
  }

  /** Counts one observation of `value` in `series`. */
  observe(series: Series, value: number): void {
    const { buckets } = this;
    let i = 0;
    while (i < buckets.length && value > buckets[i]!) i++;
    series.counts[i]!++;
    series.sum += value;
    series.count++;
  }

  /** The values as prom-client's `getMetricsAsJSON` gives them: each with all its labels. */
  async get(): Promise<HistogramExport> {
    const exported = await this.getForPromString();
    return {
      ...exported,
      values: exported.values.map(({ labels, sharedLabels, value, metricName }) => ({
        labels: { ...sharedLabels, ...labels },
        value,
        metricName,
      })),
    };
  }

  /**
   * The values as the registry writes them, like prom-client's histograms: the series'
   * labels shared, `le` per bucket; cumulative buckets, then `+Inf`, sum and count.
   */
  getForPromString(): Promise<HistogramExport> {
    const values: ExportedValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, counts, sum, count } of this.#series.values()) {
      if (count === 0) continue;
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += counts[i]!;
        values.push({
          labels: { le },
          sharedLabels: labels,
          value: cumulative,
          metricName: bucket,
        });
      });
      values.push({
        labels: { le: '+Inf' },
        sharedLabels: labels,
        value: count,
        metricName: bucket,
      });
      values.push({ labels: {}, sharedLabels: labels, value: sum, metricName: `${this.name}_sum` });
      values.push({
        labels: {},
        sharedLabels: labels,
        value: count,
        metricName: `${this.name}_count`,
      });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }

  /** Zeroes every series (the registry's `resetMetrics`). */
  reset(): void {
    for (const series of this.#series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}

/** Counts one answer of a route: its status and how long it took, in seconds. */
export type DurationRecorder = (status: number, seconds: number) => void;

/** What the HTTP metrics offer to answers given outside Fastify's routes. */
export interface HttpMetrics {
  /** The recorder of a method and route pattern, in the series Fastify's routes use. */
  recorder(method: string, route: string): DurationRecorder;
  /**
   * Counts an answer no route gave, as route `unmatched`: the not-found handler's
   * (counted here already), and the router's refusals, which no hook sees.
   */
  unmatched(request: FastifyRequest, reply: FastifyReply): void;
}

/**
 * Records every HTTP answer's duration by method, route pattern and status (served by
 * `installMetricsRoute`). Each route gets its own `onResponse` hook, which knows its
 * pattern (one series per route, not per short code) without reading
 * `request.routeOptions`, a getter that builds an object per call; a global hook
 * counts what no route matched. Call it before any route is registered.
 */
export function installMetrics(app: FastifyInstance, registry: Registry): HttpMetrics {
  const duration = new DurationHistogram(
    'http_request_duration_seconds',
    'Duration of HTTP requests, by method, route pattern and status',
    DURATION_BUCKETS,
  );
  // Read through `get()` like prom-client's own metrics; only the type is narrower.
  registry.registerMetric(duration as unknown as Metric);

  const recorder = (method: string, route: string): DurationRecorder => {
    let lastStatus = -1;
    let last: Series | null = null;
    return (status, seconds) => {
      if (status !== lastStatus || last === null) {
        last = duration.series({ method, route, status });
        lastStatus = status;
      }
      duration.observe(last, seconds);
    };
  };
  const fromReply = (record: DurationRecorder, reply: FastifyReply): void =>
    record(reply.statusCode, reply.elapsedTime / 1000);

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // One hook per route, and routes with several methods label by the request's.
    const record = methods.length === 1 ? recorder(methods[0]!, route.url) : null;
    const byMethod = new Map<string, ReturnType<typeof recorder>>();
    const hook: onResponseHookHandler = function (request, reply, done) {
      if (record !== null) fromReply(record, reply);
      else {
        let r = byMethod.get(request.method);
        if (r === undefined)
          byMethod.set(request.method, (r = recorder(request.method, route.url)));
        fromReply(r, reply);
      }
      done();
    };
    const existing = route.onResponse;
    route.onResponse =
      existing === undefined
        ? [hook]
        : Array.isArray(existing)
          ? [...existing, hook]
          : [existing, hook];
  });
  const unmatchedByMethod = new Map<string, ReturnType<typeof recorder>>();
  const unmatched = (request: FastifyRequest, reply: FastifyReply): void => {
    let r = unmatchedByMethod.get(request.method);
    if (r === undefined)
      unmatchedByMethod.set(request.method, (r = recorder(request.method, 'unmatched')));
    fromReply(r, reply);
  };
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) unmatched(request, reply);
    done();
  });

  return { recorder, unmatched };
}

/**
 * Serves the registry at `GET /metrics`. Registered after the OpenAPI plugin (which
 * sees only the routes registered after it), unlike the hooks of `installMetrics`.
 */
export function installMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get(
    '/metrics',
    {
      schema: {
        tags: [OPERATIONS_TAG],
        summary: 'Prometheus metrics',
        description:
          'Every metric of this node in the Prometheus text exposition format (version 0.0.4), for a Prometheus server to scrape: request durations by method, route pattern and status (`http_request_duration_seconds`), the link cache, redirects and clicks, chat connections, frames and stored messages, the cluster, and the Node.js process. Each node answers for itself: scrape every node directly, not through the load balancer. No authentication.',
        response: {
          200: {
            description: 'The metrics, in the Prometheus text exposition format',
            content: { 'text/plain': { schema: z.string() } },
          },
        },
      },
    },
    async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
}
