import { describe } from 'vitest';
import { runChatBusContract } from '../../domains/chat/chat-bus.contract.js';
import { MemoryChatBus } from './memory-chat-bus.js';

describe(MemoryChatBus.name, () => {
  runChatBusContract(() =>
    Promise.resolve({ bus: new MemoryChatBus(), dispose: () => Promise.resolve() }),
  );
});
