import type { ConversationSummary, StoredMessage } from '@switchboard/sdk';
import { describe, expect, it } from 'vitest';
import { prependMessages, upsertConversation, upsertMessage } from './conversation-lists.js';

const summary = (id: string, lastActivity: number, unread = 0): ConversationSummary => ({
  conversationId: `user:${id}`,
  to: { user: id },
  kind: 'user',
  lastActivity,
  unread,
});

const message = (key: string, sortKey: string, status: StoredMessage['status'] = 'sent') =>
  ({ key, sortKey, status }) as StoredMessage;

describe(upsertConversation.name, () => {
  it('keeps the most recent activity first and replaces a changed conversation', () => {
    let list = [summary('a', 3), summary('b', 2)];
    list = upsertConversation(list, summary('c', 1));
    list = upsertConversation(list, summary('b', 5, 1));
    expect(list.map((c) => [c.conversationId, c.unread])).toEqual([
      ['user:b', 1],
      ['user:a', 0],
      ['user:c', 0],
    ]);
  });
});

describe(upsertMessage.name, () => {
  it('adds in sort order, replaces by key, and moves a message whose place changed', () => {
    let list = [message('a', '1'), message('c', '3')];
    list = upsertMessage(list, message('b', '2'));
    expect(list.map((m) => m.key)).toEqual(['a', 'b', 'c']);
    list = upsertMessage(list, message('b', '2', 'read'));
    expect(list.map((m) => `${m.key}:${m.status}`)).toEqual(['a:sent', 'b:read', 'c:sent']);
    // A pending message takes the server's (later) time once sent.
    list = upsertMessage(list, message('a', '4'));
    expect(list.map((m) => m.key)).toEqual(['b', 'c', 'a']);
  });
});

describe(prependMessages.name, () => {
  it('puts an older page first without repeating a message', () => {
    const list = prependMessages(
      [message('b', '2'), message('c', '3')],
      [message('a', '1'), message('b', '2')],
    );
    expect(list.map((m) => m.key)).toEqual(['a', 'b', 'c']);
  });
});
