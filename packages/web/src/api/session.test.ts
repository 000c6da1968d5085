import { describe, expect, it } from 'vitest';
import { parseSession } from './session.js';

describe(parseSession.name, () => {
  it('reads a stored session', () => {
    const session = { token: 'sbs_x', userId: 'u', deviceId: 'd', username: 'alice' };
    expect(parseSession(session)).toEqual(session);
  });

  it('treats anything else in storage as no session', () => {
    for (const value of [
      null,
      'sbs_x',
      {},
      { token: 'sbs_x' },
      { token: 1, userId: 'u', deviceId: 'd', username: 'a' },
    ]) {
      expect(parseSession(value)).toBeNull();
    }
  });
});
