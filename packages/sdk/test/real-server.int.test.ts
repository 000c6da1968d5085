import { describe, it } from 'vitest';
import { runChatSuite } from './chat-suite.js';
import { realHarness } from './harness.js';
import { checkInterleavings } from './interleavings.js';

describe('SwitchboardClient against the real server', () => {
  runChatSuite(() => realHarness(), { backlog: 10_000 });
});

describe('random interleavings against the real server', () => {
  it('leaves every device with exactly its messages, in order per sender', async () => {
    await checkInterleavings(() => realHarness(), { numRuns: 8 });
  }, 600_000);
});
