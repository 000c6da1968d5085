import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { installAuth, type Authenticate, type AuthHooks } from '../../http/auth.js';

/** A user as other domains see them. */
export interface UserProfile {
  readonly userId: string;
  readonly username: string;
  readonly displayName: string | null;
  /** The user asked that others not see when they were last online. */
  readonly hideLastSeen: boolean;
}

/** A device was added (a login) or revoked (logout, sign-out from another device). */
export interface DeviceChange {
  readonly userId: string;
  readonly deviceId: string;
  readonly change: 'added' | 'revoked';
}

/** What the accounts domain offers the rest of the app. */
export interface AccountsModule {
  /** `preHandler` hooks for routes: anonymous allowed, or a principal required. */
  readonly auth: AuthHooks;
  /** Resolves a session or API token to its principal; null when unknown or revoked. */
  readonly authenticate: Authenticate;
  /** The ids of every device (live session) of a user, for chat fan-out. */
  devicesOf(userId: string): Promise<string[]>;
  /** Profiles by id; ids that match no user are absent from the map. */
  usersById(userIds: readonly string[]): Promise<Map<string, UserProfile>>;
  /** Calls `listener` after every device change; returns the function that unsubscribes. */
  onDeviceChange(listener: (change: DeviceChange) => void): () => void;
}

/** Builds the accounts service on the configured stores and registers its routes. */
export function installAccounts(app: FastifyInstance, _deps: Deps): Promise<AccountsModule> {
  // Placeholder until the accounts domain lands: nobody can authenticate.
  const authenticate: Authenticate = () => Promise.resolve(null);
  const auth = installAuth(app, authenticate);
  return Promise.resolve({
    auth,
    authenticate,
    devicesOf: () => Promise.resolve([]),
    usersById: () => Promise.resolve(new Map()),
    onDeviceChange: () => () => undefined,
  });
}
