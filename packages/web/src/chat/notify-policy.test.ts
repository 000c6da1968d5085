import { describe, expect, it } from 'vitest';
import { shouldNotify, type NotifyContext } from './notify-policy.js';

const incoming = {
  outgoing: false,
  conversationId: 'user:bob' as const,
  status: 'received' as const,
};
const background: NotifyContext = {
  permission: 'granted',
  enabled: true,
  visible: false,
  focused: false,
  inView: 'user:bob',
};

describe(shouldNotify.name, () => {
  it('notifies of a new message while the tab is hidden', () => {
    expect(shouldNotify(incoming, background)).toBe(true);
  });

  it('never notifies of my own messages, or of one already read elsewhere', () => {
    expect(shouldNotify({ ...incoming, outgoing: true, status: 'sent' }, background)).toBe(false);
    expect(shouldNotify({ ...incoming, status: 'read' }, background)).toBe(false);
  });

  it('needs the permission and the user’s switch', () => {
    expect(shouldNotify(incoming, { ...background, permission: 'default' })).toBe(false);
    expect(shouldNotify(incoming, { ...background, permission: 'unsupported' })).toBe(false);
    expect(shouldNotify(incoming, { ...background, enabled: false })).toBe(false);
  });

  it('stays quiet for a tab in use, and for the conversation in view in a visible tab', () => {
    expect(shouldNotify(incoming, { ...background, visible: true, focused: true })).toBe(false);
    expect(shouldNotify(incoming, { ...background, visible: true })).toBe(false);
    // A visible window without the focus still tells of other conversations.
    expect(shouldNotify(incoming, { ...background, visible: true, inView: 'group:g' })).toBe(true);
  });
});
