import fc from 'fast-check';
import { expect } from 'vitest';
import { MemoryHistoryStore, messageKey, type Session } from '../src/node.js';
import {
  clientOptions,
  RecordingClient,
  waitFor,
  type ChatHarness,
  type HarnessUser,
} from './harness.js';

const USERS = 3;
const DEVICES_PER_USER = 2;
const DEVICES = USERS * DEVICES_PER_USER;

/** One step of a random run. */
type Step =
  | { kind: 'send'; device: number; to: number | 'group' }
  | { kind: 'cut'; device: number }
  | { kind: 'stop'; device: number }
  | { kind: 'start'; device: number }
  | { kind: 'restart'; device: number }
  | { kind: 'drain'; device: number };

const device = fc.integer({ min: 0, max: DEVICES - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      device,
      to: fc.oneof(fc.integer({ min: 0, max: USERS - 1 }), fc.constant('group' as const)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), device }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stop' as const), device }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('start' as const), device }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), device }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drain' as const), device }) },
);
const ackSettings = fc.record({
  every: fc.integer({ min: 1, max: 40 }),
  delayMs: fc.integer({ min: 0, max: 80 }),
});

interface Sent {
  readonly id: string;
  readonly fromUser: number;
  readonly fromDevice: number;
  readonly to: number | 'group';
}

/**
 * Random interleavings of sends, network losses, stops, restarts and acknowledgement
 * timings across 3 users with 2 devices each (in one group and 1:1): in the end every
 * device has exactly the messages addressed to it (each reported once), and messages
 * of one sender device in one conversation arrive in the order they were sent.
 */
export async function checkInterleavings(
  create: () => Promise<ChatHarness>,
  options: { numRuns: number; seed?: number },
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      fc.array(step, { minLength: 5, maxLength: 40 }),
      fc.array(ackSettings, { minLength: DEVICES, maxLength: DEVICES }),
      async (steps, acks) => {
        const harness = await create();
        const incarnations: RecordingClient[][] = Array.from({ length: DEVICES }, () => []);
        try {
          await runSteps(harness, steps, acks, incarnations);
        } finally {
          for (const list of incarnations) for (const r of list) await r.client.close();
          await harness.close();
        }
      },
    ),
    {
      numRuns: options.numRuns,
      endOnFailure: true,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    },
  );
}

async function runSteps(
  harness: ChatHarness,
  steps: readonly Step[],
  acks: ReadonlyArray<{ every: number; delayMs: number }>,
  incarnations: RecordingClient[][],
): Promise<void> {
  const users: HarnessUser[] = [];
  for (let u = 0; u < USERS; u += 1) users.push(await harness.user(`p${u}`));
  const sessions: Session[] = [];
  for (let u = 0; u < USERS; u += 1) {
    sessions.push(users[u]!.session);
    for (let d = 1; d < DEVICES_PER_USER; d += 1) sessions.push(await harness.device(users[u]!));
  }
  const groupId = await harness.group(users[0]!, users.slice(1));
  const userOf = (deviceIndex: number) => Math.floor(deviceIndex / DEVICES_PER_USER);
  const stores = sessions.map(() => new MemoryHistoryStore());
  const running: Array<RecordingClient | null> = sessions.map(() => null);
  const sent: Sent[] = [];

  const start = (d: number) => {
    if (running[d] !== null) return;
    const recording = new RecordingClient(
      clientOptions(harness, sessions[d]!, stores[d], { acks: acks[d]! }),
    );
    incarnations[d]!.push(recording);
    running[d] = recording;
    void recording.client.connect().catch(() => undefined);
  };
  const stop = async (d: number) => {
    const recording = running[d];
    if (recording === null || recording === undefined) return;
    running[d] = null;
    await recording.client.close();
  };
  for (let d = 0; d < DEVICES; d += 1) start(d);

  for (const s of steps) {
    switch (s.kind) {
      case 'send': {
        // A stopped device still writes to its outbox; it sends once started again.
        let recording = running[s.device];
        if (recording === null || recording === undefined) {
          start(s.device);
          recording = running[s.device]!;
          await stop(s.device);
        }
        const to = s.to === 'group' ? { group: groupId } : { user: users[s.to]!.userId };
        const message = await recording.client.send(to, { step: sent.length });
        sent.push({ id: message.id, fromUser: userOf(s.device), fromDevice: s.device, to: s.to });
        break;
      }
      case 'cut':
        running[s.device]?.cut();
        break;
      case 'stop':
        await stop(s.device);
        break;
      case 'start':
        start(s.device);
        break;
      case 'restart':
        await stop(s.device);
        start(s.device);
        break;
      case 'drain': {
        const recording = running[s.device];
        if (recording)
          await waitFor(
            () => recording.client.pendingCount === 0,
            20_000,
            () => 'outbox drained',
          );
        break;
      }
    }
  }
  for (let d = 0; d < DEVICES; d += 1) start(d);

  const expectedFor = (d: number) =>
    sent.filter((m) => {
      if (m.fromDevice === d) return false;
      const u = userOf(d);
      return m.to === 'group' || m.to === u || m.fromUser === u;
    });
  const keysFor = (d: number) =>
    expectedFor(d).map((m) => messageKey(users[m.fromUser]!.userId, m.id));
  await waitFor(
    async () => {
      for (let d = 0; d < DEVICES; d += 1) {
        const found = await stores[d]!.getMessages(keysFor(d));
        if (found.some((m) => m === undefined)) return false;
      }
      return running.every((r) => r?.client.pendingCount === 0);
    },
    60_000,
    () => `every device to have its ${sent.length} messages`,
  );

  for (let d = 0; d < DEVICES; d += 1) {
    const reported = incarnations[d]!.flatMap((r) => r.messages);
    const expected = expectedFor(d);
    // Exactly once as the user sees it, and nothing that was not addressed to it.
    expect(reported.map((m) => m.id).sort()).toEqual(expected.map((m) => m.id).sort());
    // Per sender device and conversation, in send order.
    const lanes = new Map<string, string[]>();
    for (const m of reported) {
      const lane = `${m.from.device} ${m.conversationId}`;
      lanes.set(lane, [...(lanes.get(lane) ?? []), m.id]);
    }
    for (const ids of lanes.values()) {
      const order = ids.map((id) => sent.findIndex((m) => m.id === id));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    // Own messages from this device are all stored as sent (or further).
    const own = sent
      .filter((m) => m.fromDevice === d)
      .map((m) => messageKey(users[userOf(d)]!.userId, m.id));
    for (const message of await stores[d]!.getMessages(own)) {
      expect(message?.status).not.toBe('pending');
    }
  }
}
