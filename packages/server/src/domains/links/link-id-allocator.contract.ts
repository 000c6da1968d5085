import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IdBlock, LinkIdAllocator } from './link-id-allocator.js';

/** Allocators under test: two that share one counter (two nodes), and cleanup. */
export interface LinkIdAllocatorFixture {
  readonly allocator: LinkIdAllocator;
  readonly otherNode: LinkIdAllocator;
  dispose(): Promise<void>;
}

function ids(block: IdBlock): number[] {
  return Array.from({ length: block.count }, (_, i) => block.first + i);
}

/** The behaviour every `LinkIdAllocator` adapter must have. */
export function runLinkIdAllocatorContract(
  name: string,
  create: () => Promise<LinkIdAllocatorFixture>,
): void {
  describe(`LinkIdAllocator contract: ${name}`, () => {
    let fixture: LinkIdAllocatorFixture;
    beforeEach(async () => {
      fixture = await create();
    });
    afterEach(() => fixture.dispose());

    it('hands out non-negative blocks of at least one id', async () => {
      const block = await fixture.allocator.allocate(10);
      expect(block.first).toBeGreaterThanOrEqual(0);
      expect(block.count).toBeGreaterThanOrEqual(1);
      expect(Number.isSafeInteger(block.first + block.count)).toBe(true);
    });

    it('never hands out an id twice, across callers racing on one counter', async () => {
      const blocks = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 === 0 ? fixture.allocator : fixture.otherNode).allocate(25),
        ),
      );
      const all = blocks.flatMap(ids);
      expect(new Set(all).size).toBe(all.length);
    });

    it('keeps handing out new ids after many blocks', async () => {
      const seen = new Set<number>();
      for (let i = 0; i < 20; i++) {
        for (const id of ids(await fixture.allocator.allocate(3))) {
          expect(seen.has(id)).toBe(false);
          seen.add(id);
        }
      }
    });
  });
}
