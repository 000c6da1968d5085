import { MESSAGE_ID_PATTERN, type Address, type SendFrame } from '@switchboard/shared';

/** Deeper bodies are left to the schema (which answers the ones too deep for it). */
const PLAIN_DEPTH_MAX = 32;
/** The schema's bound on ids (`Id`). */
const ID_MAX_LENGTH = 64;

/**
 * A `send` frame as `ClientFrame.safeParse` would answer it, checked by hand, or null
 * to let the schema judge. The schema checks the body as JSON value by value, making a
 * failed-alternative object at most of them; a body out of `JSON.parse` is JSON anyway.
 * Only plain cases are answered here: anything else (an invalid field, a deep body, a
 * `__proto__` key, which the schema drops from the body) goes to the schema.
 */
export function plainSendFrame(json: unknown): SendFrame | null {
  if (typeof json !== 'object' || json === null) return null;
  const frame = json as { type?: unknown; id?: unknown; to?: unknown; body?: unknown };
  if (frame.type !== 'send') return null;
  const { id, to, body } = frame;
  if (typeof id !== 'string' || !MESSAGE_ID_PATTERN.test(id)) return null;
  if (typeof to !== 'object' || to === null || Array.isArray(to)) return null;
  const keys = Object.keys(to);
  if (keys.length !== 1) return null;
  const target = (to as Record<string, unknown>)[keys[0]!];
  if (typeof target !== 'string' || target.length < 1 || target.length > ID_MAX_LENGTH) {
    return null;
  }
  let address: Address;
  if (keys[0] === 'user') address = { user: target };
  else if (keys[0] === 'group') address = { group: target };
  else return null;
  if (body === undefined || !isPlainJson(body, 0)) return null;
  return { type: 'send', id, to: address, body: body as SendFrame['body'] };
}

function isPlainJson(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= PLAIN_DEPTH_MAX) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!isPlainJson(item, depth + 1)) return false;
    return true;
  }
  if (Object.hasOwn(value, '__proto__')) return false;
  for (const key in value) {
    if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}
