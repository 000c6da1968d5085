import type { StoredMessage } from '@switchboard/sdk';
import { dayKey } from './chat-time.js';
import type { GroupNote } from './directory.js';

/** One line of a conversation's log. */
export type TimelineEntry =
  | {
      readonly kind: 'message';
      readonly message: StoredMessage;
      /** Show the sender's name above it (the first of a run in a group). */
      readonly showSender: boolean;
    }
  | { readonly kind: 'note'; readonly note: GroupNote }
  | { readonly kind: 'unread'; readonly count: number };

/** A day of the log, with its entries in order. */
export interface TimelineDay {
  readonly day: string;
  readonly ts: number;
  readonly entries: TimelineEntry[];
}

/**
 * The log of a conversation: messages and group notes by time, split by local day, the
 * "unread messages" divider before the first message that was unread on opening, and
 * the sender's name on the first message of each run in a group. Notes older than the
 * oldest loaded message wait until that part of the history is loaded.
 */
export function buildTimeline(
  messages: readonly StoredMessage[],
  notes: readonly GroupNote[],
  options: {
    readonly group: boolean;
    readonly hasOlder: boolean;
    readonly firstUnreadKey: string | null;
  },
): TimelineDay[] {
  const oldest = messages[0]?.ts ?? Number.NEGATIVE_INFINITY;
  const shownNotes = notes
    .filter((n) => !options.hasOlder || n.ts >= oldest)
    .sort((a, b) => a.ts - b.ts || a.seq - b.seq);

  type Item = { ts: number; entry: TimelineEntry };
  const items: Item[] = [];
  let n = 0;
  let unreadFrom = -1;
  for (const message of messages) {
    // A note comes before a message of the same millisecond: the change happened first.
    while (n < shownNotes.length && shownNotes[n]!.ts <= message.ts) {
      items.push({ ts: shownNotes[n]!.ts, entry: { kind: 'note', note: shownNotes[n]! } });
      n += 1;
    }
    if (message.key === options.firstUnreadKey) unreadFrom = items.length;
    items.push({ ts: message.ts, entry: { kind: 'message', message, showSender: false } });
  }
  for (; n < shownNotes.length; n += 1) {
    items.push({ ts: shownNotes[n]!.ts, entry: { kind: 'note', note: shownNotes[n]! } });
  }
  if (unreadFrom >= 0) {
    const count = items
      .slice(unreadFrom)
      .filter((i) => i.entry.kind === 'message' && !i.entry.message.outgoing).length;
    items.splice(unreadFrom, 0, { ts: items[unreadFrom]!.ts, entry: { kind: 'unread', count } });
  }

  const days: TimelineDay[] = [];
  let previousSender: string | null = null;
  for (const item of items) {
    const day = dayKey(item.ts);
    let current = days.at(-1);
    if (current?.day !== day) {
      current = { day, ts: item.ts, entries: [] };
      days.push(current);
      previousSender = null;
    }
    let entry = item.entry;
    if (entry.kind === 'message') {
      const sender = entry.message.outgoing ? null : entry.message.from.user;
      const showSender: boolean = options.group && sender !== null && sender !== previousSender;
      entry = { ...entry, showSender };
      previousSender = entry.message.outgoing ? '\u0000me' : sender;
    } else {
      previousSender = null;
    }
    current.entries.push(entry);
  }
  return days;
}

/**
 * A group note as a sentence, naming people with `name` (which answers "you" for me):
 * "Alice added Carol", "You left", "Bob is now an admin".
 */
export function noteText(note: GroupNote, name: (userId: string) => string, me: string): string {
  const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
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
