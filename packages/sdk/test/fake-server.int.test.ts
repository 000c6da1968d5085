import { describe, it } from 'vitest';
import { FakeChatServer } from '../src/test-support/fake-chat-server.js';
import { runChatSuite } from './chat-suite.js';
import { fakeHarness } from './harness.js';
import { checkInterleavings } from './interleavings.js';

describe(`SwitchboardClient against ${FakeChatServer.name}`, () => {
  runChatSuite(fakeHarness, { backlog: 10_000 });
});

describe(`random interleavings against ${FakeChatServer.name}`, () => {
  it('leaves every device with exactly its messages, in order per sender', async () => {
    await checkInterleavings(
      async () => {
        const harness = await fakeHarness();
        // At-least-once delivery: some envelopes come twice, under two seqs.
        harness.fake.duplicateEvery = 7;
        return harness;
      },
      { numRuns: 25 },
    );
  }, 300_000);
});
