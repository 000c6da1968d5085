import { fastify } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  DURATION_BUCKETS,
  DurationHistogram,
  installMetrics,
  installMetricsRoute,
} from './metrics.js';

const VALUES = [0.0001, 0.0005, 0.0007, 0.003, 0.003, 0.04, 0.9, 2.5, 7];

/** The duration lines of an exposition, in order. */
function durationLines(text: string): string[] {
  return text.split('\n').filter((line) => line.includes('http_request_duration_seconds'));
}

describe(DurationHistogram.name, () => {
  it("exports exactly what prom-client's own histogram exports for the same observations", async () => {
    const theirs = new Registry();
    const reference = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Duration',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [...DURATION_BUCKETS],
      registers: [theirs],
    });
    const ours = new Registry();
    const compact = new DurationHistogram(
      'http_request_duration_seconds',
      'Duration',
      DURATION_BUCKETS,
    );
    ours.registerMetric(compact as never);
    const labelSets = [
      { method: 'GET', route: '/:code', status: 302 },
      { method: 'POST', route: '/api/links', status: 201 },
    ];
    for (const labels of labelSets) {
      const series = compact.series(labels);
      for (const value of VALUES) {
        reference.observe(labels, value);
        compact.observe(series, value);
      }
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // prom-client adds an empty `exemplar` to each value; exemplars are not used here.
    const withoutExemplars = (metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
      metrics.map((m) => ({
        ...m,
        values: m.values.map(({ labels, value, metricName }: Record<string, unknown>) => ({
          labels,
          value,
          metricName,
        })),
      }));
    expect(withoutExemplars(await ours.getMetricsAsJSON())).toEqual(
      withoutExemplars(await theirs.getMetricsAsJSON()),
    );
  });

  it('counts a value equal to a bound in that bound’s bucket', async () => {
    const compact = new DurationHistogram('d', 'd', [1, 2]);
    const series = compact.series({ method: 'GET', route: '/', status: 200 });
    compact.observe(series, 1);
    compact.observe(series, 2);
    compact.observe(series, 3);
    const { values } = await compact.get();
    expect(values.map((v) => [v.metricName, v.labels.le, v.value])).toEqual([
      ['d_bucket', 1, 1],
      ['d_bucket', 2, 2],
      ['d_bucket', '+Inf', 3],
      ['d_sum', undefined, 6],
      ['d_count', undefined, 3],
    ]);
  });

  it('exports nothing for a series after a reset, and counts again after it', async () => {
    const compact = new DurationHistogram('d', 'd', [1]);
    const series = compact.series({ method: 'GET', route: '/', status: 200 });
    compact.observe(series, 0.5);
    compact.reset();
    expect((await compact.get()).values).toEqual([]);
    compact.observe(series, 0.5);
    expect((await compact.get()).values.at(-1)).toMatchObject({ metricName: 'd_count', value: 1 });
  });
});

describe(installMetrics.name, () => {
  it('labels each answer with its method, route pattern and status, and unmatched paths as such', async () => {
    const app = fastify();
    // The app's compilers: the route's documented response is a zod schema.
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    const registry = new Registry();
    installMetrics(app, registry);
    installMetricsRoute(app, registry);
    app.get('/links/:code', (request, reply) => {
      const { code } = request.params as { code: string };
      return code === 'gone' ? reply.code(404).send() : reply.code(302).send();
    });
    app.route({ method: ['PUT', 'PATCH'], url: '/things', handler: () => 'ok' });
    await app.ready();
    for (const url of ['/links/a', '/links/b', '/links/gone', '/nowhere']) {
      await app.inject({ method: 'GET', url });
    }
    await app.inject({ method: 'PATCH', url: '/things' });
    await app.inject({ method: 'PUT', url: '/things' });
    await app.inject({ method: 'PUT', url: '/things' });
    const counts = durationLines((await app.inject({ method: 'GET', url: '/metrics' })).body)
      .filter((line) => line.startsWith('http_request_duration_seconds_count'))
      .sort();
    expect(counts).toEqual([
      'http_request_duration_seconds_count{method="GET",route="/links/:code",status="302"} 2',
      'http_request_duration_seconds_count{method="GET",route="/links/:code",status="404"} 1',
      'http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1',
      'http_request_duration_seconds_count{method="PATCH",route="/things",status="200"} 1',
      'http_request_duration_seconds_count{method="PUT",route="/things",status="200"} 2',
    ]);
    await app.close();
  });
});
