import { runHistoryStoreContract } from './history-store.contract.js';
import { MemoryHistoryStore } from './memory-history-store.js';

runHistoryStoreContract(MemoryHistoryStore.name, {
  create: () => Promise.resolve(new MemoryHistoryStore()),
});
