import { describe, expect, it } from 'vitest';
import { conversationOfPath, conversationPath } from './chat-paths.js';

describe(conversationPath.name, () => {
  it('gives each conversation a path and reads it back', () => {
    expect(conversationPath('user:u_1')).toBe('/chat/user/u_1');
    expect(conversationPath('group:g:x')).toBe('/chat/group/g%3Ax');
    expect(conversationOfPath('group', 'g%3Ax')).toBe('group:g:x');
  });
});

describe(conversationOfPath.name, () => {
  it('refuses paths that name no conversation', () => {
    expect(conversationOfPath('channel', 'x')).toBeNull();
    expect(conversationOfPath('user', '')).toBeNull();
    expect(conversationOfPath('user', '%E0%A4%A')).toBeNull();
    expect(conversationOfPath('user', 'a%2Fb')).toBeNull();
    expect(conversationOfPath('user', 'x'.repeat(65))).toBeNull();
  });
});
