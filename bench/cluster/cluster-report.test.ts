import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_SEARCH } from '../chat/rate-search.js';
import type { HttpLoadResult } from '../lib/http-load.js';
import {
  marginalCost,
  renderClusterSection,
  setupMicros,
  type ChatStep,
  type TargetResult,
} from './cluster-report.js';
import type { GroupReading } from './process-groups.js';

function reading(cores: Record<string, number>, otherCores = 0.1): GroupReading {
  return { cores: new Map(Object.entries(cores)), otherCores, seconds: 10 };
}

function load(rate: number): HttpLoadResult {
  return {
    responses: rate * 10,
    seconds: 10,
    rate,
    latency: { count: rate * 10, mean: 1, p50: 1, p90: 2, p99: 3, p999: 5, max: 9 },
    statuses: { '302': rate * 10 },
    errors: 0,
    timeouts: 0,
    generatorCores: 0.5,
  };
}

function step(
  delivered: number,
  cores: Record<string, number>,
  failure: string | null = null,
): ChatStep {
  return {
    offered: delivered,
    delivered,
    p50: 2,
    p99: 20,
    sentP99: 18,
    lost: 0,
    duplicates: 0,
    reordered: 0,
    errors: {},
    reading: reading(cores),
    failure,
  };
}

const embedded: TargetResult = {
  kind: 'embedded',
  label: 'embedded, direct',
  cached: { load: load(10_000), reading: reading({ nodes: 0.25, generator: 0.6 }) },
  creation: { load: load(2_000), reading: reading({ nodes: 0.5, generator: 0.3 }) },
  chat: {
    steps: [step(1_000, { nodes: 0.2 })],
    best: step(1_000, { nodes: 0.2 }),
    reference: step(250, { nodes: 0.1 }),
  },
};

const cluster: TargetResult = {
  kind: 'cluster-2',
  label: 'cluster, 2 nodes',
  cached: {
    load: load(5_000),
    reading: reading({ nodes: 0.25, HAProxy: 0.15, Redis: 0, generator: 0.4 }),
  },
  creation: {
    load: load(1_000),
    reading: reading({ nodes: 0.6, HAProxy: 0.1, PostgreSQL: 0.3, NATS: 0.01 }),
  },
  chat: {
    steps: [step(800, { nodes: 0.9 }, 'p99 over 50 ms'), step(400, { nodes: 0.4, NATS: 0.04 })],
    best: step(400, { nodes: 0.4, NATS: 0.04 }),
    reference: step(250, { nodes: 0.3, NATS: 0.05 }),
  },
};

const OPTIONS = { hotCodes: 1_000, connections: 64, search: DEFAULT_RATE_SEARCH };

describe(renderClusterSection.name, () => {
  it('gives every setup a column and the throughput of each workload', () => {
    const { body } = renderClusterSection({ targets: [embedded, cluster] }, OPTIONS, 'HEADER');
    expect(body).toContain('HEADER');
    expect(body).toMatch(/\| measurement +\| embedded, direct \| cluster, 2 nodes \|/);
    expect(body).toMatch(
      /Redirects, 1,000 cached codes, 64 connections +\| +10,000 req\/s \| +5,000 req\/s \|/,
    );
    expect(body).toMatch(/1:1 delivered and acked.*\| +1,000 msg\/s \| +400 msg\/s \|/);
  });

  it('sums the CPU of every process of a setup per unit of work, generator excluded', () => {
    // 0.25 + 0.15 cores at 5,000/s = 80 µs; the generator's 0.4 cores are not the setup's.
    expect(setupMicros(cluster.cached.reading, 5_000)).toBeCloseTo(80);
    const { body } = renderClusterSection({ targets: [embedded, cluster] }, OPTIONS, '');
    expect(body).toMatch(/\| \*\*the whole setup\*\* +\| +\*\*25 µs\*\* \| +\*\*80 µs\*\* \|/);
    expect(body).toMatch(/… relative to the first column +\| +100% \| +320% \|/);
  });

  it('marks a process a setup does not have with a dash, not a zero', () => {
    const { body } = renderClusterSection({ targets: [embedded, cluster] }, OPTIONS, '');
    expect(body).toMatch(/\| HAProxy +\| +— \| +30 µs \|/);
    expect(body).not.toContain('inbox Redis');
  });

  it('compares the CPU per message of every setup at the reference rate', () => {
    const { body } = renderClusterSection({ targets: [embedded, cluster] }, OPTIONS, '');
    // 0.1 core at 250/s = 400 µs; 0.35 core = 1,400 µs.
    expect(body).toMatch(/\| per 1:1 message at 250 msg\/s +\|/);
    expect(body).toMatch(/\| \*\*the whole setup\*\* +\| +\*\*400 µs\*\* \| +\*\*1,400 µs\*\* \|/);
  });

  it('separates the cost of a message at the margin from the fixed cost of the connections', () => {
    // cores = 0.1 + 200 µs × rate, exactly, at three rates; an overloaded step is left out.
    const steps = [250, 500, 1_000].map((rate) => step(rate, { nodes: 0.1 + rate * 200e-6 }));
    const overloaded: ChatStep = {
      ...step(2_000, { nodes: 0.3 }),
      delivered: 1_500,
      offered: 2_000,
    };
    const cost = marginalCost([...steps, overloaded], (r) => r.cores.get('nodes') ?? 0);
    expect(cost.micros).toBeCloseTo(200);
    expect(cost.fixedCores).toBeCloseTo(0.1);
    expect(cost.points).toBe(3);
    expect(marginalCost([steps[0]!], () => 1).micros).toBeNaN();
  });

  it('lists every rate tried, with why it did not hold', () => {
    const { body } = renderClusterSection({ targets: [embedded, cluster] }, OPTIONS, '');
    expect(body).toContain('### The 1:1 rate search, cluster, 2 nodes');
    expect(body).toContain('no: p99 over 50 ms');
  });

  it('says that two shared cores cannot show added capacity', () => {
    const { body } = renderClusterSection({ targets: [embedded] }, OPTIONS, '');
    expect(body).toContain('a second node cannot');
    expect(body).toContain('add capacity here');
  });
});
