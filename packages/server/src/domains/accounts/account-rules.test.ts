import { AppError } from '@switchboard/shared';
import { describe, expect, it } from 'vitest';
import {
  checkNewPassword,
  checkNewUsername,
  commonPasswordCount,
  normalisePassword,
  normaliseUsername,
} from './account-rules.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof AppError ? error.code : 'not an AppError';
  }
}

describe(checkNewUsername.name, () => {
  it('stores usernames lower-case and trimmed', () => {
    expect(checkNewUsername('  Alice.Smith_2 ')).toBe('alice.smith_2');
  });

  it.each(['abc', 'a12', 'a'.repeat(32), 'x_y.z', 'bob_'])('accepts %s', (name) => {
    expect(checkNewUsername(name)).toBe(name);
  });

  it.each([
    ['too short', 'ab'],
    ['too long', 'a'.repeat(33)],
    ['starting with a digit', '1abc'],
    ['starting with an underscore', '_abc'],
    ['with a space', 'ab cd'],
    ['with a hyphen', 'ab-cd'],
    ['with an @', 'ab@cd'],
    ['non-ASCII', 'jürgen'],
    ['a Kelvin sign that folds to k', '\u212Aelvin'],
    ['a Cyrillic look-alike', 'аlice'],
    ['ending with a dot', 'alice.'],
    ['with two dots in a row', 'al..ice'],
    ['empty', ''],
  ])('refuses a username %s', (_why, name) => {
    expect(codeOf(() => checkNewUsername(name))).toBe('INVALID_USERNAME');
  });

  it('refuses reserved names in any case', () => {
    expect(codeOf(() => checkNewUsername('Admin'))).toBe('INVALID_USERNAME');
    expect(codeOf(() => checkNewUsername('SUPPORT'))).toBe('INVALID_USERNAME');
  });
});

describe(normaliseUsername.name, () => {
  it('folds only ASCII letters', () => {
    expect(normaliseUsername('ALICE')).toBe('alice');
    expect(normaliseUsername('\u212Aelvin')).toBe('\u212Aelvin');
  });
});

describe(checkNewPassword.name, () => {
  it('accepts a long, unusual password', () => {
    expect(codeOf(() => checkNewPassword('correct horse battery staple', 'alice'))).toBeUndefined();
  });

  it('accepts exactly 8 and exactly 256 characters', () => {
    expect(codeOf(() => checkNewPassword('k9#Lm2!q', 'alice'))).toBeUndefined();
    expect(codeOf(() => checkNewPassword('xY7'.repeat(85) + 'z', 'alice'))).toBeUndefined();
  });

  it('counts characters, not UTF-16 units', () => {
    // Seven emoji are 14 UTF-16 units but 7 characters: too short.
    expect(codeOf(() => checkNewPassword('🔑🐢🌵🎲🧭🪁🦉', 'alice'))).toBe('WEAK_PASSWORD');
    expect(codeOf(() => checkNewPassword('🔑🐢🌵🎲🧭🪁🦉🐙', 'alice'))).toBeUndefined();
  });

  it.each([
    ['shorter than 8 characters', 'k9#Lm2!', 'alice'],
    ['longer than 256 characters', 'xY7'.repeat(86), 'alice'],
    ['the username', 'alice.smith', 'alice.smith'],
    ['the username in another case', 'Alice.Smith', 'alice.smith'],
    ['one character repeated', 'zzzzzzzzzzzz', 'alice'],
    ['a common password', 'password123', 'alice'],
    ['a common password in capitals', 'QWERTYUIOP', 'alice'],
    ['a common keyboard walk', '1q2w3e4r5t', 'alice'],
  ])('refuses a password that is %s', (_why, password, username) => {
    expect(codeOf(() => checkNewPassword(password, username))).toBe('WEAK_PASSWORD');
  });

  it('ships a list of several hundred common passwords', () => {
    expect(commonPasswordCount()).toBeGreaterThanOrEqual(300);
  });
});

describe(normalisePassword.name, () => {
  it('makes composed and decomposed accents the same password', () => {
    expect(normalisePassword('caf\u00e9-latte')).toBe(normalisePassword('cafe\u0301-latte'));
  });

  it('folds full-width characters', () => {
    expect(normalisePassword('ｐａｓｓ１２３')).toBe('pass123');
  });
});
