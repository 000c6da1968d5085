import { describe } from 'vitest';
import { runPresenceStoreContract } from '../../domains/chat/presence-store.contract.js';
import { MemoryPresenceStore } from './memory-presence-store.js';

describe(MemoryPresenceStore.name, () => {
  runPresenceStoreContract(() =>
    Promise.resolve({ store: new MemoryPresenceStore(), dispose: () => Promise.resolve() }),
  );
});
