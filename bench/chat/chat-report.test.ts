import { describe, expect, it } from 'vitest';
import type { LatencySummary } from '../lib/latency.js';
import {
  CHAT_DEFAULTS,
  renderChatSection,
  type ChatTargetResult,
  type DirectStep,
  type MemoryResult,
} from './chat-bench.js';

function latency(p50: number, p99: number): LatencySummary {
  return { count: 100, mean: p50, p50, p90: p99, p99, p999: p99, max: p99 };
}

function step(offered: number, p99: number, failure: string | null = null): DirectStep {
  return {
    offered,
    delivered: offered,
    p99,
    p50: 1,
    lost: 0,
    duplicates: 0,
    reordered: 0,
    errors: {},
    sentP50: 1,
    sentP99: p99,
    serverCores: 0.9,
    generatorCores: 0.8,
    otherCores: 0.01,
    loopDelayP99: 1,
    failure,
  };
}

function memory(perConnection: number): MemoryResult {
  const sample = (rss: number) => ({ rssBytes: rss, heapUsedBytes: rss / 2 });
  return {
    connections: 10_000,
    before: sample(80e6),
    atTenth: sample(80e6 + perConnection * 1000),
    after: sample(80e6 + perConnection * 10_000),
    connectMs: 5000,
    rssPerConnection: perConnection,
    rssPerConnectionMarginal: perConnection,
    heapPerConnection: perConnection / 2,
  };
}

function target(best: DirectStep | null, bytesPerConnection: number): ChatTargetResult {
  return {
    steps: best ? [best, step(best.offered * 1.5, 400, 'p99 over 50 ms')] : [],
    best,
    group: { members: 256, timeToLast: latency(20, 40), burstRate: 20_000, burstMs: 1275 },
    backlog: { fillRate: 8000, drainMs: 900, readyMs: 5, drainRate: 11_000, duplicates: 0 },
    memory: memory(bytesPerConnection),
    profiles: [],
  };
}

const relay = target(step(20_000, 8), 10 * 1024);

describe(renderChatSection.name, () => {
  it('passes at a quarter of the relay with a p99 under 50 ms and little memory', () => {
    const { body, pass } = renderChatSection(
      target(step(5000, 30), 20 * 1024),
      relay,
      CHAT_DEFAULTS,
      '',
    );
    expect(pass).toBe(true);
    expect(body).toMatch(/5,000 msg\/s \| +20,000 msg\/s \| +25% \| ≥ 25% of baseline +\| pass/);
    expect(body).toMatch(/20 KB \| +10 KB \| +200% \| ≤ 30 KB +\| pass/);
    expect(body).toContain('Overall: **every target met**');
  });

  it('fails below a quarter of the relay, and on too much memory', () => {
    const slow = renderChatSection(target(step(4900, 30), 20 * 1024), relay, CHAT_DEFAULTS, '');
    expect(slow.pass).toBe(false);
    const heavy = renderChatSection(target(step(6000, 30), 31 * 1024), relay, CHAT_DEFAULTS, '');
    expect(heavy.pass).toBe(false);
    expect(heavy.body).toMatch(/31 KB \| .*\*\*FAIL\*\*/);
  });

  it('fails when no rate held at all, rather than reporting nothing', () => {
    const { body, pass } = renderChatSection(target(null, 20 * 1024), relay, CHAT_DEFAULTS, '');
    expect(pass).toBe(false);
    expect(body).toMatch(/none held \| +20,000 msg\/s/);
  });

  it('lists every rate tried, with why the ones that failed did', () => {
    const { body } = renderChatSection(target(step(5000, 30), 20 * 1024), relay, CHAT_DEFAULTS, '');
    expect(body).toContain('no: p99 over 50 ms');
    expect(body).toMatch(/\| +7,500\/s \|/);
  });
});
