import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertStatuses, runHttpLoad } from './http-load.js';
import { CpuMeter, ROOT, TS_NODE_ARGS, startService, type ServiceProcess } from './processes.js';

describe(runHttpLoad.name, () => {
  let baseline: ServiceProcess;

  beforeAll(async () => {
    baseline = await startService({
      name: 'baseline',
      script: path.join(ROOT, 'bench/baselines/http-redirect-server.ts'),
      nodeArgs: TS_NODE_ARGS,
      env: { HOST: '127.0.0.1' },
    });
  });
  afterAll(async () => {
    expect(await baseline.stop()).toBe(0);
  });

  it('creates exactly the amount asked for, each with a unique body, and collects the answers', async () => {
    const codes: string[] = [];
    const result = await runHttpLoad({
      url: `${baseline.baseUrl}/api/links`,
      connections: 8,
      amount: 500,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      bodyFor: (n) => `{"url":"https://example.com/${n}"}`,
      onBody: (status, body) => {
        if (status === 201) codes.push((JSON.parse(body) as { code: string }).code);
      },
    });
    assertStatuses('creation', result, [201]);
    expect(result.responses).toBe(500);
    expect(new Set(codes).size).toBe(500);
    const targets = await Promise.all(
      codes.slice(0, 20).map(async (code) => {
        const response = await fetch(`${baseline.baseUrl}/${code}`, { redirect: 'manual' });
        return response.headers.get('location');
      }),
    );
    expect(new Set(targets).size).toBe(20);
    expect(result.latency.count).toBe(500);
  });

  it('cycles each connection through its own paths and times every response', async () => {
    const meter = new CpuMeter([baseline.pid]);
    meter.start();
    const result = await runHttpLoad({
      url: baseline.baseUrl,
      connections: 4,
      durationS: 1,
      pathsFor: (i) => [`/missing-${i}-a`, `/missing-${i}-b`],
    });
    const reading = meter.stop();
    expect(result.statuses).toEqual({ '404': result.responses });
    expect(result.responses).toBeGreaterThan(100);
    expect(result.latency.count).toBe(result.responses);
    expect(result.latency.p50).toBeGreaterThan(0);
    expect(result.latency.p99).toBeGreaterThanOrEqual(result.latency.p50);
    expect(reading.cores.get(baseline.pid)).toBeGreaterThan(0);
    // Counting 404s as throughput is exactly what a benchmark must refuse to do.
    expect(() => assertStatuses('redirects', result, [302])).toThrow(/expected only 302/);
  });
});
