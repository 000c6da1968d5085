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

/** How many unknown names an error quotes, and how much of each. */
const QUOTED_NAMES_MAX = 5;
const QUOTED_NAME_MAX_LENGTH = 64;

/** `Unknown field "alias": this request takes url, expiresAt, ...`, bounded whatever was sent. */
function unknownNamesMessage(what: string, names: readonly string[], known: string): string {
  const quoted = names
    .slice(0, QUOTED_NAMES_MAX)
    .map((name) =>
      JSON.stringify(
        name.length > QUOTED_NAME_MAX_LENGTH ? `${name.slice(0, QUOTED_NAME_MAX_LENGTH)}…` : name,
      ),
    );
  const more =
    names.length > QUOTED_NAMES_MAX ? ` and ${names.length - QUOTED_NAMES_MAX} more` : '';
  const plural = names.length === 1 ? '' : 's';
  return `Unknown ${what}${plural} ${quoted.join(', ')}${more}: this request takes ${known}.`;
}

/** An object that refuses unknown keys with a sentence naming them and the known ones. */
function strictRequest<Shape extends z.core.$ZodLooseShape>(shape: Shape, what: string) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? unknownNamesMessage(what, issue.keys, known) : undefined,
  });
}

/**
 * A request body: a field the request does not take is refused (`INVALID_REQUEST`, the
 * message naming it and the fields it takes) instead of being dropped, since a dropped
 * field is a silent no-op (`PATCH /api/links/:code {"alias": ...}` changing nothing).
 * Build each body from its own shape: `.omit()` would keep the original list of fields
 * in the message. WebSocket frames are not built with this: the protocol lets clients
 * send fields the server does not know (docs/protocol.md).
 */
export function requestBody<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  return strictRequest(shape, 'field');
}

/**
 * The query string of a JSON API call, strict like a body: a misspelt parameter
 * (`?limt=5`) is refused rather than silently answered with the default. Not for URLs
 * meant to be embedded or shared (QR code images), which carry cache busters.
 */
export function requestQuery<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  return strictRequest(shape, 'query parameter');
}

/** Query string of a paginated list: `cursor` comes from the previous page's `nextCursor`. */
export const PageQuery = requestQuery({
  limit: z.coerce.number().int().min(1).max(PAGE_SIZE_MAX).default(PAGE_SIZE_DEFAULT),
  cursor: z.string().max(200).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

/** A page of items and the cursor of the next page (`null` on the last one). */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
