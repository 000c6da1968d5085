import { describe, expect, it } from 'vitest';
import { checkUsername, normaliseUsername } from './usernames.js';

describe(normaliseUsername.name, () => {
  it('reads a username as people type it: spaces, an @ and capitals', () => {
    expect(normaliseUsername('  @Bob.Smith ')).toBe('bob.smith');
  });
});

describe(checkUsername.name, () => {
  it('refuses what cannot be a username before asking the server', () => {
    expect(checkUsername('')).toMatch(/Enter a username/);
    expect(checkUsername('b')).toMatch(/3 to 32/);
    expect(checkUsername('bob smith')).toMatch(/3 to 32/);
    expect(checkUsername('bob')).toBeNull();
  });
});
