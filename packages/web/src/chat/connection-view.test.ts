import { describe, expect, it } from 'vitest';
import { connectionView } from './connection-view.js';

const base = {
  phase: 'active' as const,
  connection: 'online' as const,
  browserOnline: true,
  ended: null,
};

describe(connectionView.name, () => {
  it('names each state the banner shows', () => {
    expect(connectionView(base)).toBe('online');
    expect(connectionView({ ...base, connection: 'syncing' })).toBe('connecting');
    expect(connectionView({ ...base, phase: 'starting', connection: 'idle' })).toBe('connecting');
    expect(connectionView({ ...base, connection: 'reconnecting' })).toBe('reconnecting');
    expect(connectionView({ ...base, phase: 'elsewhere' })).toBe('elsewhere');
    expect(connectionView({ ...base, phase: 'failed' })).toBe('failed');
    expect(connectionView({ ...base, connection: 'ended' })).toBe('ended');
  });

  it('believes the browser about having no network, before the socket notices', () => {
    expect(connectionView({ ...base, browserOnline: false })).toBe('offline');
    expect(connectionView({ ...base, connection: 'reconnecting', browserOnline: false })).toBe(
      'offline',
    );
    // The session's end says more than "offline".
    expect(connectionView({ ...base, browserOnline: false, ended: 'SESSION_REVOKED' })).toBe(
      'ended',
    );
  });
});
