import { describe, expect, it } from 'vitest';
import {
  ARGON2_OPTIONS,
  hashPassword,
  hashToken,
  needsRehash,
  newToken,
  tokenKind,
  verifyPassword,
} from './credentials.js';

describe(newToken.name, () => {
  it('makes session and API tokens with their prefix and 256 random bits', () => {
    const session = newToken('session');
    const api = newToken('api');
    expect(session.token).toMatch(/^sbs_[A-Za-z0-9_-]{43}$/);
    expect(api.token).toMatch(/^sbp_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(session.token.slice(4), 'base64url')).toHaveLength(32);
  });

  it('never repeats a token', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newToken('session').token));
    expect(tokens.size).toBe(1000);
  });

  it('keeps only the SHA-256 of the token', () => {
    const { token, tokenHash } = newToken('api');
    expect(tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenHash).toBe(hashToken(token));
    expect(tokenHash).not.toContain(token.slice(4));
  });
});

describe(tokenKind.name, () => {
  it('recognises both kinds', () => {
    expect(tokenKind(newToken('session').token)).toBe('session');
    expect(tokenKind(newToken('api').token)).toBe('api');
  });

  it.each([
    ['empty', ''],
    ['without a prefix', 'x'.repeat(47)],
    ['with an unknown prefix', `sbx_${'a'.repeat(43)}`],
    ['too short', `sbs_${'a'.repeat(42)}`],
    ['too long', `sbs_${'a'.repeat(44)}`],
    ['with other characters', `sbs_${'a'.repeat(42)}=`],
  ])('refuses a token %s', (_why, token) => {
    expect(tokenKind(token)).toBeNull();
  });
});

describe(hashPassword.name, () => {
  it('hashes with argon2id at the OWASP parameters, salted', async () => {
    const first = await hashPassword('correct horse battery staple');
    const second = await hashPassword('correct horse battery staple');
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(first).not.toBe(second);
    expect(needsRehash(first)).toBe(false);
    expect(ARGON2_OPTIONS.memoryCost).toBe(19 * 1024);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(await verifyPassword(hash, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(hash, 'correct horse battery stapler')).toBe(false);
  });

  it('answers false, never throws, for a malformed hash', async () => {
    expect(await verifyPassword('not a hash', 'x')).toBe(false);
    expect(needsRehash('not a hash')).toBe(true);
  });

  it('asks for a rehash of weaker parameters', () => {
    expect(
      needsRehash('$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$ZGlnZXN0ZGlnZXN0ZGlnZXN0'),
    ).toBe(true);
  });
});
