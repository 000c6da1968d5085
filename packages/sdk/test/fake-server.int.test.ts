import { describe } from 'vitest';
import { FakeChatServer } from '../src/test-support/fake-chat-server.js';
import { runChatSuite } from './chat-suite.js';
import { fakeHarness } from './harness.js';

describe(`SwitchboardClient against ${FakeChatServer.name}`, () => {
  runChatSuite(fakeHarness, { backlog: 10_000 });
});
