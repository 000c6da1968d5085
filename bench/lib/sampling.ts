/**
 * How load is spread over keys: shuffles, samples without replacement, and splits
 * between connections so that each cycles through its own share.
 */

/** A random source in [0, 1); `Math.random` unless a test fixes it. */
export type Random = () => number;

/** A shuffled copy of `items` (Fisher–Yates). */
export function shuffle<T>(items: readonly T[], random: Random = Math.random): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** `n` distinct items picked at random (all of them, shuffled, when there are fewer). */
export function sample<T>(items: readonly T[], n: number, random: Random = Math.random): T[] {
  return shuffle(items, random).slice(0, Math.max(0, n));
}

/**
 * Splits `items` round-robin into `parts` lists whose sizes differ by at most one, so
 * that every item belongs to exactly one part. Needs at least one item per part.
 */
export function partition<T>(items: readonly T[], parts: number): T[][] {
  if (!Number.isInteger(parts) || parts < 1) throw new Error(`invalid part count ${parts}`);
  if (items.length < parts) {
    throw new Error(`cannot split ${items.length} items into ${parts} non-empty parts`);
  }
  const result: T[][] = Array.from({ length: parts }, () => []);
  items.forEach((item, i) => result[i % parts]!.push(item));
  return result;
}
