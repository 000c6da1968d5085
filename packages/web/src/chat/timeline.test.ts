import type { StoredMessage } from '@switchboard/sdk';
import { describe, expect, it } from 'vitest';
import {
  buildTimeline,
  isUnread,
  noteText,
  readGroupChange,
  type GroupChange,
} from './timeline.js';

const at = (d: number, h: number) => new Date(2025, 5, d, h).getTime();
let order = 0;
const record = (ts: number, from: string, fields: Partial<StoredMessage>): StoredMessage => {
  order += 1;
  const key = fields.key ?? `${from}/${order}`;
  return {
    key,
    id: String(order),
    conversationId: 'group:g',
    from: { user: from, device: 'd' },
    to: { group: 'g' },
    ts,
    body: { text: 'x' },
    outgoing: false,
    status: 'received',
    receipts: {},
    localOrder: order,
    sortKey: `${ts}:${order}`,
    ...fields,
  };
};
const msg = (ts: number, from: string, outgoing = false): StoredMessage =>
  record(ts, from, outgoing ? { outgoing, status: 'sent' } : { unreadIn: 'group:g' });
const change = (ts: number, body: Record<string, string> = {}): StoredMessage =>
  record(ts, 'alice', {
    key: `event:${order + 1}`,
    kind: 'event',
    body: { event: 'member-added', by: 'alice', userId: 'carol', ...body },
  });

const shape = (days: ReturnType<typeof buildTimeline>) =>
  days.map((d) =>
    d.entries.map((e) =>
      e.kind === 'message'
        ? `${e.message.from.user}${e.showSender ? '*' : ''}`
        : e.kind === 'note'
          ? `note:${e.change.event}`
          : `unread${e.count}`,
    ),
  );

describe(buildTimeline.name, () => {
  it('splits by day and names the sender at the start of each run in a group', () => {
    const records = [
      msg(at(1, 9), 'bob'),
      msg(at(1, 10), 'bob'),
      msg(at(1, 11), 'me', true),
      msg(at(1, 12), 'bob'),
      msg(at(2, 9), 'bob'),
      msg(at(2, 10), 'carol'),
    ];
    const days = buildTimeline(records, { group: true, firstUnreadKey: null });
    expect(shape(days)).toEqual([
      ['bob*', 'bob', 'me', 'bob*'],
      ['bob*', 'carol*'],
    ]);
    // 1:1 conversations never name the sender.
    const direct = buildTimeline(records, { group: false, firstUnreadKey: null });
    expect(
      shape(direct)
        .flat()
        .some((s) => s.endsWith('*')),
    ).toBe(false);
  });

  it('shows group changes as notes, which restart the run of names, and skips unknown ones', () => {
    const records = [
      msg(at(3, 9), 'bob'),
      change(at(3, 10)),
      msg(at(3, 11), 'bob'),
      change(at(3, 12), { event: 'exploded' }),
    ];
    const days = buildTimeline(records, { group: true, firstUnreadKey: null });
    expect(shape(days)).toEqual([['bob*', 'note:member-added', 'bob*']]);
  });

  it('puts the unread divider before the first unread message, until the user replies', () => {
    const records = [
      msg(at(5, 9), 'bob'),
      msg(at(5, 10), 'bob'),
      change(at(5, 11)),
      msg(at(5, 12), 'bob'),
    ];
    const days = buildTimeline(records, { group: false, firstUnreadKey: records[1]!.key });
    expect(shape(days)).toEqual([['bob', 'unread2', 'bob', 'note:member-added', 'bob']]);
    const replied = buildTimeline([...records, msg(at(5, 13), 'me', true)], {
      group: false,
      firstUnreadKey: records[1]!.key,
    });
    expect(shape(replied).flat()).not.toContain('unread2');
  });
});

describe(readGroupChange.name, () => {
  it('reads a change record and refuses messages and malformed bodies', () => {
    expect(readGroupChange(change(1, { name: 'N' }))).toEqual({
      event: 'member-added',
      by: 'alice',
      userId: 'carol',
      name: 'N',
    });
    expect(readGroupChange(msg(1, 'bob'))).toBeNull();
    expect(readGroupChange({ kind: 'event', body: { event: 'created' } })).toBeNull();
    expect(readGroupChange({ kind: 'event', body: [1] })).toBeNull();
  });
});

describe(isUnread.name, () => {
  it('counts incoming unread messages only, never group changes', () => {
    expect(isUnread(msg(1, 'bob'))).toBe(true);
    expect(isUnread(msg(1, 'me', true))).toBe(false);
    expect(isUnread({ kind: 'event', unreadIn: 'group:g' })).toBe(false);
  });
});

describe(noteText.name, () => {
  const names: Record<string, string> = { alice: 'alice', carol: 'carol', me: 'you' };
  const name = (id: string) => names[id] ?? id;
  const note = (fields: Partial<GroupChange> = {}): GroupChange => ({
    event: 'member-added',
    by: 'alice',
    userId: 'carol',
    ...fields,
  });

  it('says who did what, with "you" in its place and names as written', () => {
    expect(noteText(note(), name, 'me')).toBe('alice added carol');
    expect(noteText(note({ by: 'me' }), name, 'me')).toBe('You added carol');
    expect(noteText(note({ userId: 'me' }), name, 'me')).toBe('alice added you');
    expect(noteText(note({ event: 'member-left', userId: 'me' }), name, 'me')).toBe('You left');
    expect(noteText(note({ event: 'member-removed' }), name, 'me')).toBe('alice removed carol');
    expect(noteText(note({ event: 'created', name: 'Climbing' }), name, 'me')).toBe(
      'alice created the group “Climbing”',
    );
    expect(noteText(note({ event: 'role-changed', role: 'admin', userId: 'me' }), name, 'me')).toBe(
      'You are now an admin',
    );
    expect(noteText(note({ event: 'role-changed', role: 'member' }), name, 'me')).toBe(
      'carol is no longer an admin',
    );
  });
});
