import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  AddMemberRequest,
  ChangePasswordRequest,
  ClientFrame,
  CreateApiTokenRequest,
  CreateGroupRequest,
  CreateLinkRequest,
  Link,
  LinkStatsQuery,
  LoginRequest,
  Me,
  PageQuery,
  QrCodeQuery,
  RegisterRequest,
  ServerFrame,
  UnlockLinkRequest,
  UpdateGroupRequest,
  UpdateLinkRequest,
  UpdateMeRequest,
  UpdateMemberRequest,
} from '../index.js';

/** The messages of a failed parse (empty when it passed). */
function messages(schema: z.ZodType, input: unknown): string[] {
  const result = schema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
}

// Every HTTP request body, each with a valid example: an extra field must be the only
// reason for a refusal.
const bodies: Array<[string, z.ZodType, Record<string, unknown>]> = [
  ['RegisterRequest', RegisterRequest, { username: 'alice', password: 'long enough' }],
  ['LoginRequest', LoginRequest, { username: 'alice', password: 'long enough' }],
  ['UpdateMeRequest', UpdateMeRequest, { displayName: 'Alice' }],
  ['ChangePasswordRequest', ChangePasswordRequest, { currentPassword: 'a', newPassword: 'b' }],
  ['CreateApiTokenRequest', CreateApiTokenRequest, { name: 'ci', expiresInDays: 30 }],
  ['CreateLinkRequest', CreateLinkRequest, { url: 'https://example.com/', alias: 'mine' }],
  ['UpdateLinkRequest', UpdateLinkRequest, { maxClicks: 3 }],
  ['UnlockLinkRequest', UnlockLinkRequest, { password: 'secret' }],
  ['CreateGroupRequest', CreateGroupRequest, { name: 'g', members: ['u1'] }],
  ['UpdateGroupRequest', UpdateGroupRequest, { name: 'g' }],
  ['AddMemberRequest', AddMemberRequest, { userId: 'u1' }],
  ['UpdateMemberRequest', UpdateMemberRequest, { role: 'admin' }],
];

describe('request bodies', () => {
  it.each(bodies)('%s takes its valid example', (_, schema, valid) => {
    expect(messages(schema, valid)).toEqual([]);
  });

  it.each(bodies)('%s refuses an unknown field, naming it', (_, schema, valid) => {
    expect(messages(schema, { ...valid, surprise: 1 })).toEqual([
      expect.stringMatching(/^Unknown field "surprise": this request takes \w+/),
    ]);
  });

  it('refuses an alias in a link change, and lists the fields a change takes', () => {
    expect(messages(UpdateLinkRequest, { alias: 'renamed' })).toEqual([
      'Unknown field "alias": this request takes url, expiresAt, maxClicks, password, redirectType.',
    ]);
  });

  it('quotes at most five unknown names, each cut at 64 characters', () => {
    const long = 'x'.repeat(10_000);
    const [message = ''] = messages(UnlockLinkRequest, {
      password: 'p',
      [long]: 1,
      a: 1,
      b: 1,
      c: 1,
      d: 1,
      e: 1,
      f: 1,
    });
    expect(message).toBe(
      `Unknown fields "${'x'.repeat(64)}…", "a", "b", "c", "d" and 2 more: this request takes password.`,
    );
  });

  it('quotes names with quotes or control characters as JSON strings', () => {
    expect(messages(AddMemberRequest, { userId: 'u1', 'a"\nb': 1 })).toEqual([
      'Unknown field "a\\"\\nb": this request takes userId.',
    ]);
  });

  // The URL policy answers URL_TOO_LONG at any length; a cap here would answer
  // INVALID_REQUEST first (it did above 65,536 characters).
  it.each([
    ['CreateLinkRequest', CreateLinkRequest],
    ['UpdateLinkRequest', UpdateLinkRequest],
  ] as const)('%s leaves the URL length to the URL policy', (_, schema) => {
    const url = `https://example.com/${'a'.repeat(1_000_000)}`;
    expect(messages(schema, { url })).toEqual([]);
  });
});

describe('query strings', () => {
  it('refuses unknown parameters of the JSON API lists and statistics', () => {
    expect(messages(PageQuery, { limit: '5', limt: '5' })).toEqual([
      'Unknown query parameter "limt": this request takes limit, cursor.',
    ]);
    expect(messages(LinkStatsQuery, { day: '7' })).toEqual([
      'Unknown query parameter "day": this request takes days.',
    ]);
    expect(PageQuery.parse({ limit: '5', cursor: 'c' })).toEqual({ limit: 5, cursor: 'c' });
  });

  it('ignores cache busters on the QR code images', () => {
    expect(QrCodeQuery.parse({ size: '128', v: '2', _: '1717171717' })).toEqual({
      size: 128,
      margin: 4,
      dark: '000000',
      light: 'ffffff',
    });
  });
});

describe('what stays lenient', () => {
  // docs/protocol.md: the server ignores unknown top-level fields of a client frame.
  it('client frames take fields the server does not know', () => {
    expect(ClientFrame.parse({ type: 'ack', seq: 3, client: 'v2' })).toEqual({
      type: 'ack',
      seq: 3,
    });
    expect(ClientFrame.safeParse({ type: 'ping', nonce: 'n', sentAt: 1 }).success).toBe(true);
  });

  // Clients validate answers with these schemas: a server that adds a field must not
  // break them.
  it('answers and server frames take fields a client does not know', () => {
    const now = new Date().toISOString();
    const link = {
      code: 'abcdefg',
      shortUrl: 'https://sb.example/abcdefg',
      url: 'https://example.com/',
      createdAt: now,
      expiresAt: null,
      maxClicks: null,
      redirectType: 302,
      clicks: 0,
      hasPassword: false,
      updatedAt: now,
      status: 'active',
    };
    expect(Link.safeParse({ ...link, tags: [] }).success).toBe(true);
    expect(
      Me.safeParse({
        userId: 'u',
        username: 'alice',
        deviceId: null,
        hideLastSeen: false,
        createdAt: now,
        avatar: 'a.png',
      }).success,
    ).toBe(true);
    expect(ServerFrame.safeParse({ type: 'pong', edition: 2 }).success).toBe(true);
  });
});
