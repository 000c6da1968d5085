import { describe, expect, it } from 'vitest';
import { groupOf, summariseProfile, topFunctions, type CpuProfile } from './cpu-profile.js';

const ROOT = '/repo';

function frame(functionName: string, url = '', lineNumber = 0) {
  return { functionName, url, lineNumber };
}

/**
 * (root) → main → handle → { parse (json), send (node:net) }, plus idle and GC;
 * `handle` also calls itself once (recursion must not count twice).
 */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 7, 8] },
    { id: 2, callFrame: frame('main', 'file:///repo/src/main.js', 0), children: [3] },
    { id: 3, callFrame: frame('handle', 'file:///repo/src/app.js', 9), children: [4, 5, 6] },
    {
      id: 4,
      callFrame: frame('parse', 'file:///repo/node_modules/fast-json/index.js', 1),
      children: [],
    },
    { id: 5, callFrame: frame('send', 'node:net', 99), children: [] },
    { id: 6, callFrame: frame('handle', 'file:///repo/src/app.js', 9), children: [] },
    { id: 7, callFrame: frame('(idle)'), children: [] },
    { id: 8, callFrame: frame('(garbage collector)'), children: [] },
  ],
  // Microseconds before each sample: parse 300, send 100, handle 100 + 100 (recursive),
  // idle 1000, GC 200, main 200.
  samples: [4, 4, 4, 5, 3, 6, 7, 8, 2],
  timeDeltas: [100, 100, 100, 100, 100, 100, 1000, 200, 200],
};

describe(summariseProfile.name, () => {
  const summary = summariseProfile(profile, ROOT);

  it('separates idle time from busy time', () => {
    expect(summary.idleMicros).toBe(1000);
    expect(summary.busyMicros).toBe(1000);
  });

  it('answers self and total time per function, recursion counted once', () => {
    const handle = summary.functions.find((f) => f.name === 'handle')!;
    expect(handle.location).toBe('src/app.js:10');
    expect(handle.selfMicros).toBe(200);
    expect(handle.totalMicros).toBe(600);
    expect(handle.totalShare).toBeCloseTo(0.6);
    const main = summary.functions.find((f) => f.name === 'main')!;
    expect(main.totalMicros).toBe(800);
    expect(summary.functions.some((f) => f.name === '(root)' || f.name === '(idle)')).toBe(false);
  });

  it('ranks functions by self time', () => {
    expect(topFunctions(summary, 2, 'self').map((f) => f.name)).toEqual([
      'parse',
      expect.stringMatching(/handle|main|\(garbage collector\)/),
    ]);
    expect(topFunctions(summary, 1, 'total')[0]!.name).toBe('main');
  });

  it('groups self time by package, source file and runtime', () => {
    const groups = Object.fromEntries(summary.groups.map((g) => [g.group, g.selfShare]));
    expect(groups['package fast-json']).toBeCloseTo(0.3);
    expect(groups['node: internals']).toBeCloseTo(0.1);
    expect(groups['src/app.js']).toBeCloseTo(0.2);
    expect(groups['(garbage collector)']).toBeCloseTo(0.2);
    expect(groups['(idle)']).toBeUndefined();
  });
});

describe('summariseProfile own code', () => {
  const summary = summariseProfile(profile, ROOT);

  it('charges library, runtime and native time to the innermost own function calling it', () => {
    const own = Object.fromEntries(summary.ownCode.map((o) => [o.name, o]));
    // handle: its own 200, parse 300 and send 100.
    expect(own.handle!.micros).toBe(600);
    expect(own.handle!.location).toBe('src/app.js:10');
    expect(own.main!.micros).toBe(200);
    // The garbage collector runs with no own code on the stack.
    expect(own['(no own code)']!.micros).toBe(200);
    expect(summary.ownCode.reduce((n, o) => n + o.share, 0)).toBeCloseTo(1);
  });

  it('names a native function by its JavaScript caller', () => {
    const withNative: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2] },
        { id: 2, callFrame: frame('query', 'file:///repo/src/store.js', 4), children: [3] },
        { id: 3, callFrame: frame('run'), children: [] },
      ],
      samples: [3],
      timeDeltas: [100],
    };
    const run = summariseProfile(withNative, ROOT).functions.find((f) => f.name === 'run')!;
    expect(run.location).toBe('native, from query src/store.js:5');
  });
});

describe(groupOf.name, () => {
  it('names scoped packages, nested node_modules and files outside the repository', () => {
    expect(groupOf('file:///repo/node_modules/@fastify/static/index.js', ROOT)).toBe(
      'package @fastify/static',
    );
    expect(groupOf('file:///repo/node_modules/a/node_modules/b/x.js', ROOT)).toBe('package a');
    expect(groupOf('file:///elsewhere/x.js', ROOT)).toBe('/elsewhere/x.js');
    expect(groupOf('', ROOT)).toBe('(native/V8)');
  });
});
