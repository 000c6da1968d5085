import { ServerFrame } from '@switchboard/shared';
import { describe, expect, it } from 'vitest';
import { itemFrame } from './inbox-store.js';
import {
  errorFrame,
  groupEventPayload,
  msgPayload,
  presenceFrame,
  receiptPayload,
  typingFrame,
} from './payloads.js';

const hostile = 'a"b\\c\n\u2028</script>';

describe('payloads', () => {
  it('builds inbox items the shared schema accepts once they have a seq', () => {
    const items = [
      msgPayload({
        id: 'm1',
        fromUser: hostile,
        fromDevice: 'd',
        to: { group: 'g' },
        ts: 5,
        body: '{"x":[1,null]}',
      }),
      receiptPayload({
        id: 'm1',
        status: 'read',
        by: 'u',
        ts: 6,
        to: { user: hostile },
        sender: 's',
      }),
      groupEventPayload({ groupId: 'g', event: 'renamed', by: 'u', name: hostile, ts: 7 }),
    ];
    for (const [i, payload] of items.entries()) {
      const frame: unknown = JSON.parse(itemFrame(i + 10, payload));
      expect(ServerFrame.safeParse(frame).success, payload).toBe(true);
      expect(frame).toMatchObject({ seq: i + 10 });
    }
    expect(JSON.parse(items[0]!)).toMatchObject({
      from: { user: hostile },
      body: { x: [1, null] },
    });
    expect(JSON.parse(items[2]!)).toEqual({
      type: 'group',
      groupId: 'g',
      event: 'renamed',
      by: 'u',
      name: hostile,
      ts: 7,
    });
  });

  it('builds ephemeral frames the shared schema accepts', () => {
    const frames = [
      typingFrame(
        { user: hostile, device: 'd' },
        { type: 'typing', to: { user: 'u' }, state: 'start' },
      ),
      presenceFrame({ user: 'u', online: false, lastSeen: 123 }),
      presenceFrame({ user: 'u', online: true, lastSeen: null }),
      errorFrame('INVALID_FRAME', hostile, hostile),
      errorFrame('RATE_LIMITED', 'slow down'),
    ];
    for (const frame of frames) {
      expect(ServerFrame.safeParse(JSON.parse(frame)).success, frame).toBe(true);
    }
    expect(JSON.parse(frames[3]!)).toEqual({
      type: 'error',
      id: hostile,
      code: 'INVALID_FRAME',
      message: hostile,
    });
  });
});
