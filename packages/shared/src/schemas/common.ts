import { z } from 'zod';
import { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX } from '../limits.js';

/** Server-generated identifiers (users, devices, groups, tokens) are opaque strings. */
export const Id = z.string().min(1).max(64);

/** The body of every error answer. */
export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string().describe('A stable UPPER_SNAKE code from the documented table'),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });

/** Query string of a paginated list: `cursor` comes from the previous page's `nextCursor`. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(PAGE_SIZE_MAX).default(PAGE_SIZE_DEFAULT),
  cursor: z.string().max(200).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

/** A page of items and the cursor of the next page (`null` on the last one). */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
