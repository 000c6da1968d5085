import 'fake-indexeddb/auto';
import { runHistoryStoreContract } from './history-store.contract.js';
import { IndexedDbHistoryStore } from './indexeddb-history-store.js';

let counter = 0;
const names = new WeakMap<object, string>();

runHistoryStoreContract(IndexedDbHistoryStore.name, {
  async create() {
    counter += 1;
    const name = `history-${counter}`;
    const store = await IndexedDbHistoryStore.open(name);
    names.set(store, name);
    return store;
  },
  async reopen(store) {
    await store.close();
    return IndexedDbHistoryStore.open(names.get(store));
  },
});
