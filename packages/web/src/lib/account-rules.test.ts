import { describe, expect, it } from 'vitest';
import { checkSignUp } from './account-rules.js';

describe(checkSignUp.name, () => {
  it('accepts a valid username and password', () => {
    expect(checkSignUp('alice.b_2', 'correct horse')).toEqual({});
  });

  it('refuses usernames outside the pattern', () => {
    for (const username of ['al', '2alice', 'Alice', 'alice!', 'a'.repeat(33)]) {
      expect(checkSignUp(username, 'correct horse').username, username).toBeDefined();
    }
  });

  it('refuses short passwords and the username as password', () => {
    expect(checkSignUp('alice', 'short').password).toMatch(/at least 8/);
    expect(checkSignUp('alicealice', 'AliceAlice').password).toMatch(/username/);
  });
});
