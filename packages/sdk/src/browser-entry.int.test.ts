import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every module specifier the files reachable from `entry` import, following relative ones. */
function reachableImports(entry: string): { files: string[]; packages: Set<string> } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = fs.readFileSync(file, 'utf8');
    for (const match of source.matchAll(
      /(?:import|export)[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g,
    )) {
      const specifier = match[1] ?? match[2]!;
      if (specifier.startsWith('.'))
        queue.push(path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
      else packages.add(specifier);
    }
  }
  return { files: [...seen], packages };
}

describe('the browser entry (@switchboard/sdk)', () => {
  it('imports nothing that only Node has', () => {
    const { files, packages } = reachableImports(path.join(import.meta.dirname, 'index.ts'));
    expect(files.length).toBeGreaterThan(5);
    expect([...packages].sort()).toEqual(['@switchboard/shared', 'idb', 'uuid', 'zod']);
  });

  it('keeps the file store and ws in the Node entry', () => {
    const { packages } = reachableImports(path.join(import.meta.dirname, 'node.ts'));
    expect(packages).toContain('ws');
    expect(packages).toContain('node:fs/promises');
  });
});
