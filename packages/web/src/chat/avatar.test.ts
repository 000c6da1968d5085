import { describe, expect, it } from 'vitest';
import { avatarColour, initialsOf } from './avatar.js';

describe(initialsOf.name, () => {
  it('takes up to two initials, ignoring punctuation', () => {
    expect(initialsOf('Ada Lovelace')).toBe('AL');
    expect(initialsOf('bob')).toBe('B');
    expect(initialsOf('jean-luc picard the third')).toBe('JL');
    expect(initialsOf('émile zola')).toBe('ÉZ');
    expect(initialsOf('...')).toBe('?');
  });
});

describe(avatarColour.name, () => {
  it('gives an id the same colour every time', () => {
    expect(avatarColour('user:abc')).toBe(avatarColour('user:abc'));
    expect(avatarColour('user:abc')).toMatch(/^#[0-9a-f]{6}$/);
  });
});
