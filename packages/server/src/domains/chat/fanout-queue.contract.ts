import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FanoutJob, FanoutQueue } from './fanout-queue.js';

/** Queues for one test over one durable backing: `open` again to simulate a restart. */
export interface FanoutQueueFixture {
  open(): FanoutQueue;
  dispose(): Promise<void>;
}

function job(n: number, id = `f:u:${n}`): FanoutJob {
  return {
    kind: 'message',
    id,
    groupId: 'g',
    from: { user: 'u', device: 'd' },
    messageId: `m${n}`,
    ts: n,
    body: JSON.stringify(n),
  };
}

/** Resolves once `check` is true, polling the event loop; fails after a few seconds. */
async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The behaviour every `FanoutQueue` adapter must have. */
export function runFanoutQueueContract(create: () => Promise<FanoutQueueFixture>): void {
  describe('FanoutQueue contract', () => {
    let fixture: FanoutQueueFixture;
    const started: FanoutQueue[] = [];
    beforeEach(async () => {
      fixture = await create();
    });
    afterEach(async () => {
      for (const q of started.splice(0)) await q.stop();
      await fixture.dispose();
    });
    const start = (handler: (job: FanoutJob) => Promise<void>) => {
      const queue = fixture.open();
      queue.start(handler);
      started.push(queue);
      return queue;
    };

    it('hands jobs to the handler in the order they were queued', async () => {
      const seen: number[] = [];
      const queue = start((j) => {
        seen.push(j.ts);
        return Promise.resolve();
      });
      for (let i = 1; i <= 20; i++) await queue.enqueue(job(i));
      await queue.drained();
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it('keeps the job it was given, field for field', async () => {
      const seen: FanoutJob[] = [];
      const queue = start((j) => {
        seen.push(j);
        return Promise.resolve();
      });
      const event: FanoutJob = {
        kind: 'event',
        id: 'e:1',
        groupId: 'g',
        event: 'member-removed',
        by: 'a',
        userId: 'b',
        ts: 5,
        alsoTo: ['b'],
      };
      await queue.enqueue(event);
      await queue.drained();
      expect(seen).toEqual([event]);
    });

    it('does not store a job twice while it waits', async () => {
      const waiting = fixture.open();
      await waiting.enqueue(job(1, 'same'));
      await waiting.enqueue(job(2, 'same'));
      const seen: number[] = [];
      const queue = start((j) => {
        seen.push(j.ts);
        return Promise.resolve();
      });
      await queue.drained();
      expect(seen).toEqual([1]);
    });

    it('tries a failed job again until it succeeds', async () => {
      let attempts = 0;
      const queue = start(() => {
        attempts++;
        return attempts < 3 ? Promise.reject(new Error('not yet')) : Promise.resolve();
      });
      await queue.enqueue(job(1));
      await until(() => attempts >= 3);
      await queue.drained();
      expect(attempts).toBe(3);
    });

    it('keeps queued jobs across a restart', async () => {
      const before = fixture.open();
      await before.enqueue(job(1));
      await before.enqueue(job(2));
      await before.stop();
      const seen: number[] = [];
      const after = start((j) => {
        seen.push(j.ts);
        return Promise.resolve();
      });
      await until(() => seen.length === 2);
      await after.drained();
      expect(seen).toEqual([1, 2]);
    });

    it('takes over at once the jobs a crashed worker had claimed', async () => {
      const crashed = fixture.open();
      let claimed = false;
      crashed.start(async () => {
        claimed = true;
        // Never finishes: the process "dies" holding the job.
        await new Promise(() => undefined);
      });
      await crashed.enqueue(job(1));
      await until(() => claimed);
      const seen: number[] = [];
      start((j) => {
        seen.push(j.ts);
        return Promise.resolve();
      });
      await until(() => seen.length === 1, 3_000);
      expect(seen).toEqual([1]);
    });

    it('waits for the running job when stopped', async () => {
      let finished = false;
      let begun = false;
      const queue = start(async () => {
        begun = true;
        await new Promise((resolve) => setTimeout(resolve, 50));
        finished = true;
      });
      await queue.enqueue(job(1));
      await until(() => begun);
      await queue.stop();
      expect(finished).toBe(true);
      started.splice(started.indexOf(queue), 1);
    });
  });
}
