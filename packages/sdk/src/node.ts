/**
 * The Node entry of the SDK: everything of `@switchboard/sdk`, a client that uses the
 * `ws` package (Node 20 has no global WebSocket), and the file history store.
 */
import { WebSocket as NodeWebSocket } from 'ws';
import {
  SwitchboardClient as BaseClient,
  type SwitchboardClientOptions,
  type WebSocketConstructor,
} from './client.js';

export * from './index.js';
export { FileHistoryStore, type FileHistoryStoreOptions } from './file-history-store.js';

/**
 * `SwitchboardClient` with `ws` as its WebSocket unless another is given.
 *
 * @example
 * import { SwitchboardClient, FileHistoryStore } from '@switchboard/sdk/node';
 * const client = new SwitchboardClient({ url, store: await FileHistoryStore.open('me.jsonl') });
 */
export class SwitchboardClient extends BaseClient {
  constructor(options: SwitchboardClientOptions) {
    super({
      ...options,
      WebSocket: options.WebSocket ?? (NodeWebSocket as unknown as WebSocketConstructor),
    });
  }
}
