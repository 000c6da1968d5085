import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatBus, ChatBusEvent } from './chat-bus.js';

/** A bus for one test, and how to throw it away. */
export interface ChatBusFixture {
  readonly bus: ChatBus;
  dispose(): Promise<void>;
}

/** Resolves once `check` is true; fails after a few seconds. */
async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The behaviour every `ChatBus` adapter must have. */
export function runChatBusContract(create: () => Promise<ChatBusFixture>): void {
  describe('ChatBus contract', () => {
    let fixture: ChatBusFixture;
    beforeEach(async () => {
      fixture = await create();
    });
    afterEach(() => fixture.dispose());

    it('brings every event to the subscribers, in the order published', async () => {
      const seen: ChatBusEvent[] = [];
      fixture.bus.subscribe((e) => seen.push(e));
      const events: ChatBusEvent[] = [
        { kind: 'items', deviceId: 'd1', items: [{ seq: 1, payload: '{"type":"msg"}' }] },
        { kind: 'frame', deviceIds: ['d1', 'd2'], frame: '{"type":"typing"}' },
        { kind: 'disconnect', deviceId: 'd1', reason: 'replaced', keep: 'c2' },
      ];
      for (const e of events) fixture.bus.publish(e);
      await until(() => seen.length === 3);
      expect(seen).toEqual(events);
    });

    it('stops bringing events after unsubscribing', async () => {
      const kept: ChatBusEvent[] = [];
      const dropped: ChatBusEvent[] = [];
      const unsubscribe = fixture.bus.subscribe((e) => dropped.push(e));
      fixture.bus.subscribe((e) => kept.push(e));
      unsubscribe();
      fixture.bus.publish({ kind: 'disconnect', deviceId: 'd', reason: 'revoked' });
      await until(() => kept.length === 1);
      expect(dropped).toEqual([]);
    });
  });
}
