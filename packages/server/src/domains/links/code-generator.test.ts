import { CODE_PATTERN, isReservedPath } from '@switchboard/shared';
import { describe, expect, it } from 'vitest';
import { decodeBase62 } from './base62.js';
import { CodeGenerator } from './code-generator.js';
import { createCodePermutation, type CodePermutation } from './code-permutation.js';
import type { IdBlock, LinkIdAllocator } from './link-id-allocator.js';

/** An allocator in memory that records the blocks it handed out. */
function countingAllocator(start = 0) {
  let next = start;
  const blocks: IdBlock[] = [];
  const allocator: LinkIdAllocator = {
    allocate(size) {
      const block = { first: next, count: size };
      next += size;
      blocks.push(block);
      return Promise.resolve(block);
    },
  };
  return { allocator, blocks };
}

const permutation = createCodePermutation(Buffer.alloc(32, 1));

describe(CodeGenerator.name, () => {
  it('makes distinct 7-character codes from consecutive ids', async () => {
    const { allocator } = countingAllocator();
    const generator = new CodeGenerator(allocator, permutation, 50);
    const codes = [];
    for (let i = 0; i < 500; i++) codes.push(await generator.next());
    expect(new Set(codes).size).toBe(500);
    for (const code of codes) expect(code).toMatch(CODE_PATTERN);
    expect(codes.map((c) => permutation.invert(decodeBase62(c)))).toEqual(
      Array.from({ length: 500 }, (_, i) => i),
    );
  });

  it('asks the token service again only when its block is spent', async () => {
    const { allocator, blocks } = countingAllocator();
    const generator = new CodeGenerator(allocator, permutation, 10);
    for (let i = 0; i < 25; i++) await generator.next();
    expect(blocks).toHaveLength(3);
  });

  it('takes one block for many concurrent callers', async () => {
    const { allocator, blocks } = countingAllocator();
    const generator = new CodeGenerator(allocator, permutation, 100);
    const codes = await Promise.all(Array.from({ length: 60 }, () => generator.next()));
    expect(new Set(codes).size).toBe(60);
    expect(blocks).toHaveLength(1);
  });

  it('skips an id whose code would be a reserved path', async () => {
    // A permutation rigged to spell "healthz" for id 0 and "metrics" for id 1.
    const rigged: CodePermutation = {
      domain: permutation.domain,
      permute: (id) =>
        id === 0 ? decodeBase62('healthz') : id === 1 ? decodeBase62('METRICS') : id,
      invert: (value) => value,
      permuteMany(ids) {
        return ids.map((id) => this.permute(id));
      },
    };
    const generator = new CodeGenerator(countingAllocator().allocator, rigged, 10);
    const code = await generator.next();
    expect(isReservedPath(code)).toBe(false);
    expect(code).toBe('0000002');
  });

  it('refuses ids beyond the code space', async () => {
    const { allocator } = countingAllocator(permutation.domain - 1);
    const generator = new CodeGenerator(allocator, permutation, 10);
    await expect(generator.next()).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
