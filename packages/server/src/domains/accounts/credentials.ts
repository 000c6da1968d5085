import { hash as digest, randomBytes } from 'node:crypto';
import { hash, parseOptions, verify, type Options } from '@node-rs/argon2';

/**
 * argon2id with OWASP's first recommended setting (19 MiB, 2 passes, 1 lane): about
 * 20-60 ms on one core, so a login stays quick while every guess of an offline
 * attack on a stolen database costs the attacker as much memory-hard work.
 */
export const ARGON2_OPTIONS = {
  // `Algorithm` is an ambient const enum, which isolated modules cannot read: 2 is Argon2id.
  algorithm: 2,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const satisfies Options;

/** Hashes a (normalised) password into a PHC string that carries its own salt and parameters. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

/** Checks a password against a PHC string; false (never a throw) for a malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** True when a hash was made with other parameters than today's, so it should be redone. */
export function needsRehash(passwordHash: string): boolean {
  try {
    const o = parseOptions(passwordHash);
    return (
      Number(o.algorithm) !== ARGON2_OPTIONS.algorithm ||
      o.memoryCost !== ARGON2_OPTIONS.memoryCost ||
      o.timeCost !== ARGON2_OPTIONS.timeCost ||
      o.parallelism !== ARGON2_OPTIONS.parallelism
    );
  } catch {
    return true;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * A hash of a random password, made once, that a login for an unknown username is
 * verified against, so that it takes as long as a wrong password for a real one.
 */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64url'));
  return dummyHash;
}

/** Which credential a token is: its prefix says it, for people and for secret scanners. */
export type TokenKind = 'session' | 'api';

/** Prefixes of the two token kinds: `sbs_` (session, a device) and `sbp_` (personal API token). */
export const TOKEN_PREFIXES = { session: 'sbs_', api: 'sbp_' } as const satisfies Record<
  TokenKind,
  string
>;

/** A token is its prefix and 256 random bits in base64url: 43 characters. */
const TOKEN_PATTERN = /^(sbs_|sbp_)[A-Za-z0-9_-]{43}$/;

/** A new secret token of a kind, and the SHA-256 that is all the database keeps of it. */
export function newToken(kind: TokenKind): { token: string; tokenHash: string } {
  const token = `${TOKEN_PREFIXES[kind]}${randomBytes(32).toString('base64url')}`;
  return { token, tokenHash: hashToken(token) };
}

/**
 * The SHA-256 of a token, hex. A plain hash (not argon2) is right here: the token has
 * 256 bits of entropy, so nothing can be guessed, and it must be looked up by value.
 */
export function hashToken(token: string): string {
  // The one-shot `crypto.hash`: no Hash object per request (0.45 µs against 1 µs).
  return digest('sha256', token, 'hex');
}

/** The kind of a well-formed token, or null for anything else (which is then never looked up). */
export function tokenKind(token: string): TokenKind | null {
  const match = TOKEN_PATTERN.exec(token);
  if (match === null) return null;
  return match[1] === TOKEN_PREFIXES.session ? 'session' : 'api';
}
