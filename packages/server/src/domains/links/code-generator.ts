import { AppError, isReservedPath } from '@switchboard/shared';
import { encodeBase62 } from './base62.js';
import type { CodePermutation } from './code-permutation.js';
import type { LinkIdAllocator } from './link-id-allocator.js';

/**
 * Ids permuted in one go: a busy server creates links in bursts, and one AES call for
 * 64 ids costs about what one for a single id does. Ids permuted but not handed out
 * when the server stops are skipped, like the rest of its block.
 */
const PERMUTED_TOGETHER = 64;

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
  /** Codes of the next ids of the block, permuted together; handed out first to last. */
  #ready: string[] = [];
  #readAt = 0;

  constructor(
    private readonly allocator: LinkIdAllocator,
    private readonly permutation: CodePermutation,
    private readonly blockSize: number,
  ) {}

  /** The next unused code. */
  async next(): Promise<string> {
    for (;;) {
      while (this.#readAt >= this.#ready.length) await this.#permuteNext();
      const code = this.#ready[this.#readAt++]!;
      if (!isReservedPath(code)) return code;
    }
  }

  /** Permutes the next ids of the block (up to `PERMUTED_TOGETHER`) into `#ready`. */
  async #permuteNext(): Promise<void> {
    while (this.#next >= this.#end) {
      // Callers waiting together share one refill instead of each taking a block.
      this.#refill ??= this.#take().finally(() => {
        this.#refill = null;
      });
      await this.#refill;
    }
    // Another caller may have filled it while this one waited for the block.
    if (this.#readAt < this.#ready.length) return;
    const count = Math.min(PERMUTED_TOGETHER, this.#end - this.#next);
    const ids = Array.from({ length: count }, (_, i) => this.#next + i);
    this.#next += count;
    this.#ready = this.permutation.permuteMany(ids).map((value) => encodeBase62(value));
    this.#readAt = 0;
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
