import type { StoredMessage } from '@switchboard/sdk';
import { dayKey } from './chat-time.js';

/** The kinds of group change the SDK keeps in a group's history. */
const CHANGES = new Set([
  'created',
  'renamed',
  'member-added',
  'member-removed',
  'member-left',
  'role-changed',
] as const);

/** A group change kept in the history ("Alice added Carol"): an SDK `kind: 'event'` record. */
export interface GroupChange {
  readonly event:
    'created' | 'renamed' | 'member-added' | 'member-removed' | 'member-left' | 'role-changed';
  readonly by: string;
  readonly userId?: string;
  readonly name?: string;
  readonly role?: string;
}

/**
 * The group change a history record holds, or null for a message. Read defensively, as
 * every record of the history came from somewhere else once.
 */
export function readGroupChange(message: Pick<StoredMessage, 'kind' | 'body'>): GroupChange | null {
  if (message.kind !== 'event') return null;
  const body = message.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { event, by, userId, name, role } = body;
  if (typeof event !== 'string' || !CHANGES.has(event as GroupChange['event'])) return null;
  if (typeof by !== 'string') return null;
  return {
    event: event as GroupChange['event'],
    by,
    ...(typeof userId === 'string' ? { userId } : {}),
    ...(typeof name === 'string' ? { name } : {}),
    ...(typeof role === 'string' ? { role } : {}),
  };
}

/** True for an incoming message this user has not read yet (group changes never are). */
export function isUnread(message: Pick<StoredMessage, 'unreadIn' | 'kind'>): boolean {
  return message.unreadIn !== undefined && message.kind !== 'event';
}

/** One line of a conversation's log. */
export type TimelineEntry =
  | {
      readonly kind: 'message';
      readonly message: StoredMessage;
      /** Show the sender's name above it (the first of a run in a group). */
      readonly showSender: boolean;
    }
  | { readonly kind: 'note'; readonly key: string; readonly change: GroupChange }
  | { readonly kind: 'unread'; readonly count: number };

/** A day of the log, with its entries in order. */
export interface TimelineDay {
  readonly day: string;
  readonly ts: number;
  readonly entries: TimelineEntry[];
}

/**
 * The log of a conversation from its history (messages and group changes, in order):
 * split by local day, with the "unread messages" divider before the first message that
 * was unread on opening (until the user replies), and the sender's name on the first message of each run in a
 * group. A record that is neither a message nor a change this app knows is left out.
 */
export function buildTimeline(
  records: readonly StoredMessage[],
  options: { readonly group: boolean; readonly firstUnreadKey: string | null },
): TimelineDay[] {
  const unreadAt = records.findIndex((m) => m.key === options.firstUnreadKey);
  const after = unreadAt < 0 ? [] : records.slice(unreadAt).filter((m) => m.kind !== 'event');
  // A reply says the user has caught up: the divider has done its job.
  const unreadCount = after.some((m) => m.outgoing) ? 0 : after.length;

  const days: TimelineDay[] = [];
  let previousSender: string | null = null;
  for (const [index, record] of records.entries()) {
    const day = dayKey(record.ts);
    let current = days.at(-1);
    if (current?.day !== day) {
      current = { day, ts: record.ts, entries: [] };
      days.push(current);
      previousSender = null;
    }
    if (index === unreadAt && unreadCount > 0) {
      current.entries.push({ kind: 'unread', count: unreadCount });
    }
    if (record.kind === 'event') {
      const change = readGroupChange(record);
      if (change !== null) current.entries.push({ kind: 'note', key: record.key, change });
      previousSender = null;
      continue;
    }
    const sender = record.outgoing ? '\u0000me' : record.from.user;
    const showSender: boolean = options.group && !record.outgoing && sender !== previousSender;
    current.entries.push({ kind: 'message', message: record, showSender });
    previousSender = sender;
  }
  return days;
}

/**
 * A group change as a sentence, naming people with `name` (which answers "you" for me):
 * "Alice added Carol", "You left", "Bob is now an admin".
 */
export function noteText(note: GroupChange, name: (userId: string) => string, me: string): string {
  // Only "you" starts a sentence with a capital: names are written as their owners chose.
  const capital = (text: string) => (text === 'you' ? 'You' : text);
  const by = capital(name(note.by));
  const who = note.userId === undefined ? 'someone' : name(note.userId);
  switch (note.event) {
    case 'created':
      return note.name === undefined
        ? `${by} created the group`
        : `${by} created the group “${note.name}”`;
    case 'renamed':
      return note.name === undefined
        ? `${by} renamed the group`
        : `${by} renamed the group to “${note.name}”`;
    case 'member-added':
      return `${by} added ${who}`;
    case 'member-removed':
      return `${by} removed ${who}`;
    case 'member-left':
      return `${capital(who)} left`;
    case 'role-changed': {
      const verb = note.userId === me ? 'are' : 'is';
      return note.role === 'admin'
        ? `${capital(who)} ${verb} now an admin`
        : `${capital(who)} ${verb} no longer an admin`;
    }
  }
}
