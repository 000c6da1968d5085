import { MESSAGE_ID_PATTERN } from '@switchboard/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { normaliseBaseUrl, webSocketUrl } from './http-api.js';
import {
  addressOf,
  conversationIdOf,
  furthestStatus,
  isConversationId,
  newMessageId,
  sortKeyOf,
} from './model.js';

describe(conversationIdOf.name, () => {
  it('files a 1:1 message under the other user, whichever way it went', () => {
    expect(conversationIdOf({ from: { user: 'bob' }, to: { user: 'me' } }, 'me')).toBe('user:bob');
    expect(conversationIdOf({ from: { user: 'me' }, to: { user: 'bob' } }, 'me')).toBe('user:bob');
    expect(conversationIdOf({ from: { user: 'me' }, to: { user: 'me' } }, 'me')).toBe('user:me');
  });

  it('files a group message under the group', () => {
    expect(conversationIdOf({ from: { user: 'bob' }, to: { group: 'g1' } }, 'me')).toBe('group:g1');
  });
});

describe(addressOf.name, () => {
  it('turns a conversation id back into an address', () => {
    expect(addressOf('group:g1')).toEqual({ group: 'g1' });
    expect(addressOf('user:u:1')).toEqual({ user: 'u:1' });
    expect(isConversationId('user:')).toBe(false);
    expect(isConversationId('channel:x')).toBe(false);
  });
});

describe(sortKeyOf.name, () => {
  it('sorts by timestamp as strings do, then by arrival within a millisecond', () => {
    expect(sortKeyOf(999, 9, 'z') < sortKeyOf(1_000, 1, 'a')).toBe(true);
    expect(sortKeyOf(1_000, 2, 'a') < sortKeyOf(1_000, 10, 'b')).toBe(true);
    expect(sortKeyOf(1_000, 3, 'z') < sortKeyOf(1_000, 4, 'a')).toBe(true);
  });
});

describe(furthestStatus.name, () => {
  it('never goes back from read', () => {
    expect(furthestStatus('read', 'delivered')).toBe('read');
    expect(furthestStatus('sent', 'delivered')).toBe('delivered');
  });
});

describe(webSocketUrl.name, () => {
  it('maps http to ws and https to wss, keeping a path prefix', () => {
    expect(webSocketUrl('http://localhost:3000')).toBe('ws://localhost:3000/ws');
    expect(webSocketUrl('https://chat.example/sb/')).toBe('wss://chat.example/sb/ws');
    expect(normaliseBaseUrl('wss://chat.example/')).toBe('https://chat.example');
    expect(() => normaliseBaseUrl('ftp://x')).toThrow(/http/);
  });
});

describe(newMessageId.name, () => {
  const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  /** The Unix time in ms a UUIDv7 carries in its first 48 bits. */
  const msOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

  afterEach(() => {
    vi.useRealTimers();
  });

  // The times below only ever go forward: ids never go back in time, whatever the clock.
  it('makes UUIDv7 ids that carry the time they were made', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2040, 10, 28, 13, 40, 0, 123));
    const id = newMessageId();
    expect(id).toMatch(UUID_V7);
    expect(msOf(id)).toBe(Date.UTC(2040, 10, 28, 13, 40, 0, 123));
    vi.setSystemTime(Date.UTC(2041, 0, 1));
    expect(msOf(newMessageId())).toBe(Date.UTC(2041, 0, 1));
  });

  it('makes ids that sort in the order they were made, within one millisecond too', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2042, 0, 1));
    const ids: string[] = [];
    for (let i = 0; i < 1_000; i += 1) {
      if (i === 500) vi.setSystemTime(Date.UTC(2042, 0, 1) + 1);
      ids.push(newMessageId());
    }
    expect(new Set(ids).size).toBe(1_000);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(UUID_V7);
  });

  it('needs only getRandomValues, which plain http pages have (randomUUID they lack)', () => {
    const original = globalThis.crypto.randomUUID;
    const ids = new Set<string>();
    try {
      Object.defineProperty(globalThis.crypto, 'randomUUID', {
        value: undefined,
        configurable: true,
      });
      for (let i = 0; i < 100; i += 1) ids.add(newMessageId());
    } finally {
      Object.defineProperty(globalThis.crypto, 'randomUUID', {
        value: original,
        configurable: true,
      });
    }
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(UUID_V7);
  });

  it('makes ids the server accepts', () => {
    expect(newMessageId()).toMatch(MESSAGE_ID_PATTERN);
  });
});
