import type { JsonValue } from '@switchboard/sdk';

/**
 * What a message body means to this app. Bodies are any JSON (the server does not look
 * inside, and the CLI or a script may send what they like): this app writes and shows
 * `{ "text": "..." }`, and says plainly when it meets anything else.
 */
export type MessageContent =
  { readonly kind: 'text'; readonly text: string } | { readonly kind: 'unsupported' };

/** The body this app sends for a text message. */
export function textBody(text: string): { text: string } {
  return { text };
}

/** Reads a body defensively: only an object with a string `text` is a text message. */
export function readBody(body: JsonValue): MessageContent {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { kind: 'unsupported' };
  }
  const text = body.text;
  return typeof text === 'string' ? { kind: 'text', text } : { kind: 'unsupported' };
}

/** The sentence shown for a body this app cannot display. */
export const UNSUPPORTED_MESSAGE = 'Unsupported message';

/** One line of a message for a conversation list or a notification, cut to `max`. */
export function previewOf(body: JsonValue, max = 100): string {
  const content = readBody(body);
  if (content.kind === 'unsupported') return UNSUPPORTED_MESSAGE;
  const line = content.text.replace(/\s+/g, ' ').trim();
  if (line === '') return 'Empty message';
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join('')}…`;
}

/** A piece of a text message: plain text, or a link the app may make clickable. */
export type TextPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'link'; readonly text: string; readonly href: string };

// Only what starts like a web address is ever a link: `javascript:`, `data:` and every
// other scheme stay text, whatever the URL parser would accept.
const CANDIDATE = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
const TRAILING = /[.,:;!?'"*_~]$/;
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** Drops punctuation that ends a sentence rather than the address ("see https://x.y."). */
function trimCandidate(candidate: string): string {
  let text = candidate;
  for (;;) {
    const last = text.at(-1);
    if (last === undefined) return text;
    if (TRAILING.test(last)) {
      text = text.slice(0, -1);
      continue;
    }
    const opener = CLOSERS[last];
    if (opener !== undefined) {
      // Keep a closing bracket the address opened itself (Wikipedia's "Foo_(bar)").
      const opens = text.split(opener).length - 1;
      const closes = text.split(last).length - 1;
      if (closes > opens) {
        text = text.slice(0, -1);
        continue;
      }
    }
    return text;
  }
}

/** The address a candidate points at, or null when it is not an http(s) URL with a host. */
function safeHref(candidate: string): string | null {
  const absolute = /^www\./i.test(candidate) ? `https://${candidate}` : candidate;
  let url: URL;
  try {
    url = new URL(absolute);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.hostname === '' || !/[a-z0-9]/i.test(url.hostname)) return null;
  return url.href;
}

/**
 * Splits a message's text into plain text and http(s) links. The app renders both as
 * text nodes (a link's text too), so nothing in a message is ever read as HTML.
 */
export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let plainStart = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    const candidate = trimCandidate(match[0]);
    const href = safeHref(candidate);
    if (href === null) continue;
    if (start > plainStart) parts.push({ kind: 'text', text: text.slice(plainStart, start) });
    parts.push({ kind: 'link', text: candidate, href });
    plainStart = start + candidate.length;
  }
  if (plainStart < text.length) parts.push({ kind: 'text', text: text.slice(plainStart) });
  return parts;
}
