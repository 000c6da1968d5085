import { AppError, isReservedPath } from '@switchboard/shared';
import { encodeBase62 } from './base62.js';
import type { CodePermutation } from './code-permutation.js';
import type { LinkIdAllocator } from './link-id-allocator.js';

/**
 * Turns ids from the token service into 7-character codes. It takes a block of ids at
 * a time and asks again only once the block is spent, so creating a link needs no
 * coordination; each id goes through the keyed permutation, so codes are unique by
 * construction yet look random. Codes that spell a reserved path are skipped.
 */
export class CodeGenerator {
  #next = 0;
  #end = 0;
  #refill: Promise<void> | null = null;

  constructor(
    private readonly allocator: LinkIdAllocator,
    private readonly permutation: CodePermutation,
    private readonly blockSize: number,
  ) {}

  /** The next unused code. */
  async next(): Promise<string> {
    for (;;) {
      const code = encodeBase62(this.permutation.permute(await this.#nextId()));
      if (!isReservedPath(code)) return code;
    }
  }

  async #nextId(): Promise<number> {
    while (this.#next >= this.#end) {
      // Callers waiting together share one refill instead of each taking a block.
      this.#refill ??= this.#take().finally(() => {
        this.#refill = null;
      });
      await this.#refill;
    }
    return this.#next++;
  }

  async #take(): Promise<void> {
    const block = await this.allocator.allocate(this.blockSize);
    if (block.first + block.count > this.permutation.domain) {
      throw new AppError('INTERNAL', 'Every 7-character code has been handed out.');
    }
    this.#next = block.first;
    this.#end = block.first + block.count;
  }
}
