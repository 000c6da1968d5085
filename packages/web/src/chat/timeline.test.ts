import type { StoredMessage } from '@switchboard/sdk';
import { describe, expect, it } from 'vitest';
import type { GroupNote } from './directory.js';
import { buildTimeline, noteText } from './timeline.js';

const at = (d: number, h: number) => new Date(2025, 5, d, h).getTime();
let order = 0;
const msg = (ts: number, from: string, outgoing = false): StoredMessage =>
  ({
    key: `${from}/${++order}`,
    ts,
    from: { user: from, device: 'd' },
    outgoing,
    status: outgoing ? 'sent' : 'received',
  }) as StoredMessage;
const note = (ts: number, seq: number, event: GroupNote['event'] = 'member-added'): GroupNote => ({
  seq,
  ts,
  event,
  by: 'alice',
  userId: 'carol',
});

const shape = (days: ReturnType<typeof buildTimeline>) =>
  days.map((d) =>
    d.entries.map((e) =>
      e.kind === 'message'
        ? `${e.message.from.user}${e.showSender ? '*' : ''}`
        : e.kind === 'note'
          ? `note${e.note.seq}`
          : `unread${e.count}`,
    ),
  );

describe(buildTimeline.name, () => {
  it('splits by day and names the sender at the start of each run in a group', () => {
    const messages = [
      msg(at(1, 9), 'bob'),
      msg(at(1, 10), 'bob'),
      msg(at(1, 11), 'me', true),
      msg(at(1, 12), 'bob'),
      msg(at(2, 9), 'bob'),
      msg(at(2, 10), 'carol'),
    ];
    const days = buildTimeline(messages, [], {
      group: true,
      hasOlder: false,
      firstUnreadKey: null,
    });
    expect(shape(days)).toEqual([
      ['bob*', 'bob', 'me', 'bob*'],
      ['bob*', 'carol*'],
    ]);
    // 1:1 conversations never name the sender.
    const direct = buildTimeline(messages, [], {
      group: false,
      hasOlder: false,
      firstUnreadKey: null,
    });
    expect(
      shape(direct)
        .flat()
        .some((s) => s.endsWith('*')),
    ).toBe(false);
  });

  it('puts group notes in time order, and a note restarts the run of names', () => {
    const messages = [msg(at(3, 9), 'bob'), msg(at(3, 11), 'bob')];
    const days = buildTimeline(messages, [note(at(3, 10), 7), note(at(3, 12), 8)], {
      group: true,
      hasOlder: false,
      firstUnreadKey: null,
    });
    expect(shape(days)).toEqual([['bob*', 'note7', 'bob*', 'note8']]);
  });

  it('holds back notes older than the loaded history while older pages remain', () => {
    const messages = [msg(at(4, 10), 'bob')];
    const options = { group: true, firstUnreadKey: null };
    expect(
      shape(buildTimeline(messages, [note(at(4, 9), 1)], { ...options, hasOlder: true })),
    ).toEqual([['bob*']]);
    expect(
      shape(buildTimeline(messages, [note(at(4, 9), 1)], { ...options, hasOlder: false })),
    ).toEqual([['note1', 'bob*']]);
  });

  it('puts the unread divider before the first unread message, counting incoming ones', () => {
    const messages = [
      msg(at(5, 9), 'bob'),
      msg(at(5, 10), 'bob'),
      msg(at(5, 11), 'me', true),
      msg(at(5, 12), 'bob'),
    ];
    const days = buildTimeline(messages, [], {
      group: false,
      hasOlder: false,
      firstUnreadKey: messages[1]!.key,
    });
    expect(shape(days)).toEqual([['bob', 'unread2', 'bob', 'me', 'bob']]);
  });
});

describe(noteText.name, () => {
  const names: Record<string, string> = { alice: 'Alice', carol: 'Carol', me: 'you' };
  const name = (id: string) => names[id] ?? id;

  it('says who did what, with "you" in its place', () => {
    expect(noteText(note(1, 1), name, 'me')).toBe('Alice added Carol');
    expect(noteText({ ...note(1, 1), by: 'me' }, name, 'me')).toBe('You added Carol');
    expect(noteText({ ...note(1, 1), userId: 'me' }, name, 'me')).toBe('Alice added you');
    expect(noteText({ ...note(1, 1, 'member-left'), userId: 'me' }, name, 'me')).toBe('You left');
    expect(noteText({ ...note(1, 1, 'created'), name: 'Climbing' }, name, 'me')).toBe(
      'Alice created the group “Climbing”',
    );
    expect(
      noteText({ ...note(1, 1, 'role-changed'), role: 'admin', userId: 'me' }, name, 'me'),
    ).toBe('You are now an admin');
  });
});
