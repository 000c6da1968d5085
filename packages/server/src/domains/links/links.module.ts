import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import type { AccountsModule } from '../accounts/accounts.module.js';

/** What the links domain offers the rest of the app. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LinksModule {}

/** Builds the links service on the configured stores and registers its routes. */
export function installLinks(
  _app: FastifyInstance,
  _deps: Deps,
  _accounts: AccountsModule,
): Promise<LinksModule> {
  return Promise.resolve({});
}
