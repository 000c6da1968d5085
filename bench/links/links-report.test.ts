import { describe, expect, it } from 'vitest';
import type { HttpLoadResult } from '../lib/http-load.js';
import {
  LINKS_DEFAULTS,
  renderLinksSection,
  type LinksTargetResult,
  type Phase,
} from './links-bench.js';

function phase(rate: number, p99 = 2, serverCores = 1): Phase {
  const load: HttpLoadResult = {
    responses: rate * 10,
    seconds: 10,
    rate,
    latency: { count: rate * 10, mean: 1, p50: 1, p90: 1.5, p99, p999: p99, max: p99 },
    statuses: { '302': rate * 10 },
    errors: 0,
    timeouts: 0,
    generatorCores: 0.8,
  };
  return { load, serverCores, otherCores: 0.01 };
}

function result(cached: number, uniform: number, creation: number, p99 = 2): LinksTargetResult {
  return {
    cached: phase(cached, p99),
    uniform: phase(uniform),
    creation: phase(creation),
    links: 100_000,
    profiles: [],
  };
}

const baseline = result(36_000, 34_000, 20_000);

function rowOf(body: string, start: string): string {
  const row = body.split('\n').find((line) => line.startsWith(`| ${start}`));
  if (!row) throw new Error(`no row starting with ${start}`);
  return row;
}

describe(renderLinksSection.name, () => {
  it('passes when every figure meets its target, with ratios to the baseline', () => {
    const { body, pass } = renderLinksSection(
      result(25_000, 15_000, 6_000),
      baseline,
      LINKS_DEFAULTS,
      'header',
    );
    expect(pass).toBe(true);
    expect(rowOf(body, 'Redirects, 1,000 cached codes')).toMatch(
      /25,000 req\/s \| +36,000 req\/s \| +69% \| ≥ 60% of baseline +\| pass/,
    );
    expect(body).toContain('Overall: **every target met**');
  });

  it('fails on a ratio below target, a slow p99 or slow creation, and says which', () => {
    const slowCached = renderLinksSection(
      result(20_000, 15_000, 6_000),
      baseline,
      LINKS_DEFAULTS,
      '',
    );
    expect(slowCached.pass).toBe(false);
    expect(rowOf(slowCached.body, 'Redirects, 1,000 cached codes')).toContain('**FAIL**');

    const slowTail = renderLinksSection(
      result(25_000, 15_000, 6_000, 12),
      baseline,
      LINKS_DEFAULTS,
      '',
    );
    expect(slowTail.pass).toBe(false);
    expect(slowTail.body).toMatch(/p99 ≤ 10 ms +\| \*\*FAIL\*\*/);

    const slowUniform = renderLinksSection(
      result(25_000, 13_000, 6_000),
      baseline,
      LINKS_DEFAULTS,
      '',
    );
    expect(slowUniform.pass).toBe(false);

    const slowCreation = renderLinksSection(
      result(25_000, 15_000, 4_999),
      baseline,
      LINKS_DEFAULTS,
      '',
    );
    expect(slowCreation.pass).toBe(false);
    expect(rowOf(slowCreation.body, 'Link creation')).toContain('**FAIL**');
    expect(slowCreation.body).toContain('Overall: **some targets missed**');
  });

  it('reports the CPU each spent per request, and its ratio', () => {
    const { body } = renderLinksSection(
      result(25_000, 15_000, 6_000),
      baseline,
      LINKS_DEFAULTS,
      '',
    );
    // 1 core at 25,000/s is 40 µs a request; at 36,000/s, 27.8 µs: a ratio of 69%.
    expect(rowOf(body, 'cached')).toMatch(/40 µs \| +1\.00 cores \| +27\.8 µs \| +69%/);
  });
});
