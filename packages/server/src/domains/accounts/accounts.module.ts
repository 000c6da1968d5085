import type { FastifyInstance } from 'fastify';
import { KyselyAccountStore } from '../../adapters/sql/kysely-account-store.js';
import type { Deps } from '../../deps.js';
import { installAuth, type Authenticate, type AuthHooks } from '../../http/auth.js';
import { AccountService } from './account-service.js';
import { registerAccountRoutes } from './accounts.routes.js';
import { DeviceDirectory } from './device-directory.js';

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
  /** The service behind the routes, for tests and for tools such as the CLI. */
  readonly service: AccountService;
}

/** How often devices unused past `AUTH_SESSION_IDLE_DAYS` are swept. */
const IDLE_SWEEP_MS = 60 * 60 * 1000;

/** Builds the accounts service on the configured stores and registers its routes. */
export async function installAccounts(app: FastifyInstance, deps: Deps): Promise<AccountsModule> {
  const { env } = deps.config;
  const logger = deps.logger.child({ domain: 'accounts' });
  const store = new KyselyAccountStore(deps.database.db, deps.database.sqlite);
  const directory = new DeviceDirectory(store, logger);
  // In a cluster every node hears every device change (revocations close sockets anywhere).
  await deps.scaleOut?.shareDeviceChanges(directory);
  const service = new AccountService(store, directory, deps.clock, logger, {
    registrationOpen: env.REGISTRATION_OPEN,
    maxDevicesPerUser: env.AUTH_MAX_DEVICES_PER_USER,
    sessionIdleDays: env.AUTH_SESSION_IDLE_DAYS,
  });
  const authenticate: Authenticate = (token) => service.authenticate(token);
  const auth = installAuth(app, authenticate);
  registerAccountRoutes(app, service, auth, {
    loginPerAccount: deps.rateLimiters({
      name: 'auth-login-account',
      points: env.AUTH_LOGIN_ATTEMPTS_PER_ACCOUNT,
      durationSeconds: 15 * 60,
    }),
    loginPerIp: deps.rateLimiters({
      name: 'auth-login-ip',
      points: env.AUTH_LOGIN_ATTEMPTS_PER_IP,
      durationSeconds: 15 * 60,
    }),
    registrationsPerIp: deps.rateLimiters({
      name: 'auth-register-ip',
      points: env.AUTH_REGISTRATIONS_PER_IP,
      durationSeconds: 60 * 60,
    }),
    lookupsPerUser: deps.rateLimiters({
      name: 'users-lookup',
      points: env.AUTH_USER_LOOKUPS_PER_MINUTE,
      durationSeconds: 60,
    }),
  });

  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    sweeping = service.signOutIdleDevices().catch((error: unknown) => {
      logger.warn({ err: error }, 'could not sign out idle devices');
    });
  };
  const timer = env.AUTH_SESSION_IDLE_DAYS > 0 ? setInterval(sweep, IDLE_SWEEP_MS) : null;
  // The sweep must never keep a process alive that is otherwise done.
  timer?.unref();
  app.addHook('onClose', async () => {
    if (timer !== null) clearInterval(timer);
    await sweeping;
    await service.flush();
  });

  return {
    auth,
    authenticate,
    devicesOf: (userId) => directory.devicesOf(userId),
    usersById: (userIds) => service.usersById(userIds),
    onDeviceChange: (listener) => directory.onDeviceChange(listener),
    service,
  };
}
