import type { StoredMessage } from '@switchboard/sdk';
import { describe, expect, it } from 'vitest';
import { tickStatus } from './message-status.js';

type Shape = Pick<StoredMessage, 'status' | 'receipts' | 'to'>;
const direct = (status: StoredMessage['status']): Shape => ({
  status,
  receipts: {},
  to: { user: 'bob' },
});

describe(tickStatus.name, () => {
  it('draws a clock, one tick, two ticks and read ticks along a 1:1 message', () => {
    expect(tickStatus(direct('pending'))).toEqual({ tick: 'clock', label: 'Sending' });
    expect(tickStatus(direct('sent'))).toEqual({ tick: 'sent', label: 'Sent' });
    expect(tickStatus(direct('delivered'))).toEqual({ tick: 'delivered', label: 'Delivered' });
    expect(tickStatus(direct('read'))).toEqual({ tick: 'read', label: 'Read' });
    expect(tickStatus(direct('failed'))).toEqual({ tick: 'failed', label: 'Not sent' });
  });

  it('waits for every other member of a group before two ticks or read ticks', () => {
    const group = (
      receipts: Shape['receipts'],
      status: StoredMessage['status'] = 'read',
    ): Shape => ({
      status,
      receipts,
      to: { group: 'g' },
    });
    const one = { status: 'read' as const, ts: 1 };
    const got = { status: 'delivered' as const, ts: 1 };
    expect(tickStatus(group({ bob: one }), 2)).toEqual({
      tick: 'sent',
      label: 'Sent, delivered to 1 of 2, read by 1',
    });
    expect(tickStatus(group({ bob: one, carol: got }), 2)).toEqual({
      tick: 'delivered',
      label: 'Delivered to everyone, read by 1 of 2',
    });
    expect(tickStatus(group({ bob: one, carol: one }), 2)).toEqual({
      tick: 'read',
      label: 'Read by everyone',
    });
    expect(tickStatus(group({}, 'sent'), 2).tick).toBe('sent');
    // Without the member count, the message's own status is all there is.
    expect(tickStatus(group({ bob: one })).tick).toBe('read');
  });
});
