import { AppError } from '@switchboard/shared';
import type { Clock } from '../../clock.js';
import type { Principal } from '../../http/auth.js';
import { newId } from '../../ids.js';
import type { Logger } from '../../logger.js';
import {
  checkNewPassword,
  checkNewUsername,
  normalisePassword,
  normaliseUsername,
} from './account-rules.js';
import type {
  AccountStore,
  ApiTokenRecord,
  DeviceRecord,
  NewDevice,
  ProfilePatch,
  UserRecord,
} from './account-store.js';
import type { DeviceChange, UserProfile } from './accounts.module.js';
import {
  dummyPasswordHash,
  hashPassword,
  hashToken,
  needsRehash,
  newToken,
  tokenKind,
  verifyPassword,
} from './credentials.js';
import { cleanUserAgent, deviceNameFrom } from './device-names.js';
import type { DeviceDirectory } from './device-directory.js';

/** "Last seen" and "last used" are written at most this often per token. */
export const TOUCH_INTERVAL_MS = 60_000;
/** Personal API tokens an account may hold. */
export const MAX_API_TOKENS_PER_USER = 100;
const DAY_MS = 86_400_000;

/** The knobs of the service, from the configuration. */
export interface AccountPolicy {
  readonly registrationOpen: boolean;
  readonly maxDevicesPerUser: number;
  /** 0: devices never expire. */
  readonly sessionIdleDays: number;
}

/** Where a request came from, for device names and the audit log. */
export interface RequestContext {
  readonly ip: string;
  readonly userAgent: string | undefined;
}

/** A new device session; `token` is the secret, shown once. */
export interface NewSession {
  readonly userId: string;
  readonly deviceId: string;
  readonly token: string;
}

/** A device as its owner sees it in the list. */
export interface DeviceView extends DeviceRecord {
  readonly current: boolean;
}

/** A new API token with its secret, shown once. */
export interface NewApiTokenView extends ApiTokenRecord {
  readonly token: string;
}

/**
 * The rules of accounts: registration, login, sessions (one per device), password
 * changes and personal API tokens. It knows nothing of HTTP; rate limits are the
 * edge's job.
 */
export class AccountService {
  /** Writes of "last seen/used" in flight, by token id: at most one each, awaited on close. */
  private readonly touches = new Map<string, Promise<void>>();

  constructor(
    private readonly store: AccountStore,
    private readonly devices: DeviceDirectory,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly policy: AccountPolicy,
  ) {
    // Computed now, so that the first login for an unknown name is not slower than others.
    void dummyPasswordHash();
  }

  /** Creates an account and its first device session. */
  async register(
    input: {
      username: string;
      password: string;
      displayName?: string | undefined;
      deviceName?: string | undefined;
    },
    context: RequestContext,
  ): Promise<NewSession> {
    if (!this.policy.registrationOpen) {
      throw new AppError('FORBIDDEN', 'Registration is closed on this server.');
    }
    const username = checkNewUsername(input.username);
    checkNewPassword(input.password, username);
    const now = this.clock.now();
    const user: UserRecord = {
      id: newId(now),
      username,
      displayName: input.displayName ?? null,
      passwordHash: await hashPassword(normalisePassword(input.password)),
      hideLastSeen: false,
      createdAt: now,
      updatedAt: now,
    };
    const { device, token } = this.newDevice(user.id, input.deviceName, context.userAgent, now);
    await this.store.createUser(user, device);
    this.logger.info(
      { userId: user.id, username, deviceId: device.id, ip: context.ip },
      'account registered',
    );
    this.devices.announce([{ userId: user.id, deviceId: device.id, change: 'added' }]);
    return { userId: user.id, deviceId: device.id, token };
  }

  /**
   * Checks a username and password and opens a new device session. An unknown
   * username and a wrong password fail alike, in the same time.
   */
  async login(
    input: { username: string; password: string; deviceName?: string | undefined },
    context: RequestContext,
  ): Promise<NewSession> {
    const username = normaliseUsername(input.username);
    const password = normalisePassword(input.password);
    const user = await this.store.findUserByUsername(username);
    // The dummy hash makes an unknown username cost one argon2 verification too.
    const valid = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), password);
    if (user === null || !valid) {
      // An unknown "username" is often a password typed in the wrong field: never log it.
      this.logger.info(
        user === null
          ? { knownUser: false, ip: context.ip }
          : { knownUser: true, userId: user.id, ip: context.ip },
        'login failed',
      );
      throw new AppError('INVALID_CREDENTIALS', 'The username or the password is wrong.');
    }
    if (needsRehash(user.passwordHash)) await this.upgradeHash(user, password);

    const now = this.clock.now();
    const { device, token } = this.newDevice(user.id, input.deviceName, context.userAgent, now);
    await this.store.addDevice(device);
    this.logger.info({ userId: user.id, deviceId: device.id, ip: context.ip }, 'signed in');
    const changes: DeviceChange[] = [{ userId: user.id, deviceId: device.id, change: 'added' }];
    for (const deviceId of await this.evictBeyondLimit(user.id, device.id)) {
      changes.push({ userId: user.id, deviceId, change: 'revoked' });
    }
    this.devices.announce(changes);
    return { userId: user.id, deviceId: device.id, token };
  }

  /**
   * The principal of a session or API token, or null when it is malformed, unknown,
   * revoked, expired or idle too long. Validity is never cached: every call asks the
   * store, so a revocation holds for the very next request on every node.
   */
  async authenticate(token: string): Promise<Principal | null> {
    const kind = tokenKind(token);
    if (kind === null) return null;
    const tokenHash = hashToken(token);
    const now = this.clock.now();
    if (kind === 'session') {
      const session = await this.store.findSession(tokenHash);
      if (session === null) return null;
      const { device } = session;
      if (this.isIdle(device, now)) {
        await this.signOutDevices(device.userId, [device.id], 'idle');
        return null;
      }
      this.touch(device.id, device.lastSeenAt, now, (at) => this.store.touchDevice(device.id, at));
      return {
        userId: device.userId,
        username: session.username,
        deviceId: device.id,
        tokenId: device.id,
        kind: 'session',
      };
    }
    const found = await this.store.findApiToken(tokenHash);
    if (found === null) return null;
    const { token: apiToken } = found;
    if (apiToken.expiresAt !== null && apiToken.expiresAt <= now) return null;
    this.touch(apiToken.id, apiToken.lastUsedAt, now, (at) =>
      this.store.touchApiToken(apiToken.id, at),
    );
    return {
      userId: apiToken.userId,
      username: found.username,
      deviceId: null,
      tokenId: apiToken.id,
      kind: 'api',
    };
  }

  /** Ends the credential of this request: the device of a session, or the API token itself. */
  async logout(principal: Principal): Promise<void> {
    if (principal.deviceId === null) {
      await this.store.removeApiToken(principal.userId, principal.tokenId);
      this.logger.info(
        { userId: principal.userId, tokenId: principal.tokenId },
        'API token logged out',
      );
      return;
    }
    await this.signOutDevices(principal.userId, [principal.deviceId], 'logout');
  }

  /** The caller's own account. */
  async me(principal: Principal): Promise<UserRecord> {
    const user = await this.store.findUserById(principal.userId);
    if (user === null) throw new AppError('UNAUTHENTICATED', 'This account no longer exists.');
    return user;
  }

  /** Changes the caller's display name or last-seen privacy. */
  async updateMe(principal: Principal, patch: ProfilePatch): Promise<UserRecord> {
    const user = await this.store.updateProfile(principal.userId, patch, this.clock.now());
    if (user === null) throw new AppError('UNAUTHENTICATED', 'This account no longer exists.');
    return user;
  }

  /**
   * Replaces the password after checking the current one, and signs out every other
   * device: whoever knew the old password may have signed in somewhere.
   */
  async changePassword(
    principal: Principal,
    currentPassword: string,
    newPassword: string,
  ): Promise<void> {
    const deviceId = requireSession(principal, 'change the password');
    const user = await this.me(principal);
    if (!(await verifyPassword(user.passwordHash, normalisePassword(currentPassword)))) {
      this.logger.info({ userId: user.id, deviceId }, 'password change refused: wrong password');
      throw new AppError('WRONG_PASSWORD', 'The current password is wrong.');
    }
    checkNewPassword(newPassword, user.username);
    const newHash = await hashPassword(normalisePassword(newPassword));
    const replaced = await this.store.replacePasswordHash(
      user.id,
      user.passwordHash,
      newHash,
      this.clock.now(),
    );
    if (!replaced) {
      throw new AppError(
        'WRONG_PASSWORD',
        'The password was changed meanwhile; sign in again with the new one.',
      );
    }
    const revoked = await this.store.removeOtherDevices(user.id, deviceId);
    this.logger.info(
      { userId: user.id, deviceId, signedOut: revoked.length },
      'password changed; other devices signed out',
    );
    this.devices.announce(
      revoked.map((id) => ({ userId: user.id, deviceId: id, change: 'revoked' as const })),
    );
  }

  /** The caller's devices, oldest first, the caller's own marked `current`. */
  async listDevices(principal: Principal): Promise<DeviceView[]> {
    const devices = await this.store.listDevices(principal.userId);
    return devices.map((d) => ({ ...d, current: d.id === principal.deviceId }));
  }

  /** Signs one of the caller's devices out at once (the caller's own one too). */
  async revokeDevice(principal: Principal, deviceId: string): Promise<void> {
    requireSession(principal, 'sign devices out');
    const removed = await this.signOutDevices(principal.userId, [deviceId], 'signed out');
    if (removed.length === 0) {
      throw new AppError('DEVICE_NOT_FOUND', 'This account has no device with this id.');
    }
  }

  /** Signs out every device of the caller's account but the caller's own; answers how many. */
  async signOutOtherDevices(principal: Principal): Promise<number> {
    const deviceId = requireSession(principal, 'sign devices out');
    const revoked = await this.store.removeOtherDevices(principal.userId, deviceId);
    if (revoked.length > 0) {
      this.logger.info(
        { userId: principal.userId, deviceIds: revoked, reason: 'signed out by another device' },
        'devices signed out',
      );
      this.devices.announce(
        revoked.map((id) => ({
          userId: principal.userId,
          deviceId: id,
          change: 'revoked' as const,
        })),
      );
    }
    return revoked.length;
  }

  /** Creates a personal API token; its secret is in this answer only. */
  async createApiToken(
    principal: Principal,
    input: { name: string; expiresInDays?: number | undefined },
  ): Promise<NewApiTokenView> {
    requireSession(principal, 'create API tokens');
    const existing = await this.store.listApiTokens(principal.userId);
    if (existing.length >= MAX_API_TOKENS_PER_USER) {
      throw new AppError(
        'TOKEN_LIMIT_REACHED',
        `An account may hold ${MAX_API_TOKENS_PER_USER} API tokens; delete one first.`,
      );
    }
    const now = this.clock.now();
    const { token, tokenHash } = newToken('api');
    const record: ApiTokenRecord = {
      id: newId(now),
      userId: principal.userId,
      name: input.name,
      createdAt: now,
      lastUsedAt: null,
      expiresAt: input.expiresInDays === undefined ? null : now + input.expiresInDays * DAY_MS,
    };
    await this.store.createApiToken({ ...record, tokenHash });
    this.logger.info({ userId: principal.userId, tokenId: record.id }, 'API token created');
    return { ...record, token };
  }

  /** The caller's API tokens, oldest first, without their secrets. */
  listApiTokens(principal: Principal): Promise<ApiTokenRecord[]> {
    return this.store.listApiTokens(principal.userId);
  }

  /** Revokes one of the caller's API tokens at once. */
  async revokeApiToken(principal: Principal, tokenId: string): Promise<void> {
    requireSession(principal, 'revoke API tokens');
    if (!(await this.store.removeApiToken(principal.userId, tokenId))) {
      throw new AppError('TOKEN_NOT_FOUND', 'This account has no API token with this id.');
    }
    this.logger.info({ userId: principal.userId, tokenId }, 'API token revoked');
  }

  /** A user by username, case-insensitively; `USER_NOT_FOUND` otherwise. */
  async userByUsername(username: string): Promise<UserRecord> {
    const user = await this.store.findUserByUsername(normaliseUsername(username));
    if (user === null) throw new AppError('USER_NOT_FOUND', 'No user has this username.');
    return user;
  }

  /** A user by id; `USER_NOT_FOUND` otherwise. */
  async userById(userId: string): Promise<UserRecord> {
    const user = await this.store.findUserById(userId);
    if (user === null) throw new AppError('USER_NOT_FOUND', 'No user has this id.');
    return user;
  }

  /** Profiles by id, for other domains; unknown ids are absent. */
  async usersById(userIds: readonly string[]): Promise<Map<string, UserProfile>> {
    const users = await this.store.findUsersByIds(userIds);
    return new Map(
      users.map((u) => [
        u.id,
        {
          userId: u.id,
          username: u.username,
          displayName: u.displayName,
          hideLastSeen: u.hideLastSeen,
        },
      ]),
    );
  }

  /** Signs out every device unused for longer than the idle limit; answers how many. */
  async signOutIdleDevices(): Promise<number> {
    if (this.policy.sessionIdleDays === 0) return 0;
    const cutoff = this.clock.now() - this.policy.sessionIdleDays * DAY_MS;
    const removed = await this.store.removeDevicesIdleSince(cutoff);
    if (removed.length > 0) {
      this.logger.info({ count: removed.length }, 'idle devices signed out');
      this.devices.announce(removed.map((r) => ({ ...r, change: 'revoked' as const })));
    }
    return removed.length;
  }

  /** Waits for the "last seen" writes in flight, so that closing the database loses none. */
  async flush(): Promise<void> {
    await Promise.all(this.touches.values());
  }

  private newDevice(
    userId: string,
    deviceName: string | undefined,
    rawUserAgent: string | undefined,
    now: number,
  ): { device: NewDevice; token: string } {
    const userAgent = cleanUserAgent(rawUserAgent);
    const { token, tokenHash } = newToken('session');
    return {
      device: {
        id: newId(now),
        userId,
        name: deviceName ?? deviceNameFrom(userAgent),
        userAgent,
        tokenHash,
        createdAt: now,
        lastSeenAt: now,
      },
      token,
    };
  }

  /** Removes devices of a user and announces those that existed. */
  private async signOutDevices(
    userId: string,
    deviceIds: readonly string[],
    reason: string,
  ): Promise<string[]> {
    const removed = await this.store.removeDevices(userId, deviceIds);
    if (removed.length > 0) {
      this.logger.info({ userId, deviceIds: removed, reason }, 'devices signed out');
      this.devices.announce(
        removed.map((deviceId) => ({ userId, deviceId, change: 'revoked' as const })),
      );
    }
    return removed;
  }

  /**
   * Keeps an account within its device limit by removing the least recently used
   * devices other than the one just added. Answers the removed ids (not yet announced).
   */
  private async evictBeyondLimit(userId: string, keepDeviceId: string): Promise<string[]> {
    const devices = await this.store.listDevices(userId);
    const excess = devices.length - this.policy.maxDevicesPerUser;
    if (excess <= 0) return [];
    const victims = devices
      .filter((d) => d.id !== keepDeviceId)
      .sort((a, b) => (a.lastSeenAt ?? a.createdAt) - (b.lastSeenAt ?? b.createdAt))
      .slice(0, excess)
      .map((d) => d.id);
    const removed = await this.store.removeDevices(userId, victims);
    if (removed.length > 0) {
      this.logger.info({ userId, deviceIds: removed }, 'least recently used devices signed out');
    }
    return removed;
  }

  private isIdle(device: DeviceRecord, now: number): boolean {
    if (this.policy.sessionIdleDays === 0) return false;
    const lastActive = device.lastSeenAt ?? device.createdAt;
    return now - lastActive > this.policy.sessionIdleDays * DAY_MS;
  }

  /**
   * Records use of a token without slowing the request: at most one write per token
   * per `TOUCH_INTERVAL_MS`, never awaited by the request, failures only logged.
   */
  private touch(
    id: string,
    last: number | null,
    now: number,
    write: (at: number) => Promise<void>,
  ): void {
    if (last !== null && now - last < TOUCH_INTERVAL_MS) return;
    if (this.touches.has(id)) return;
    const pending = write(now)
      .catch((error: unknown) => {
        this.logger.warn({ err: error, id }, 'could not record token use');
      })
      .finally(() => this.touches.delete(id));
    this.touches.set(id, pending);
  }

  private async upgradeHash(user: UserRecord, password: string): Promise<void> {
    try {
      const upgraded = await hashPassword(password);
      await this.store.replacePasswordHash(user.id, user.passwordHash, upgraded, this.clock.now());
      this.logger.info({ userId: user.id }, 'password hash upgraded to current parameters');
    } catch (error) {
      // The login itself succeeded; the upgrade is retried at the next one.
      this.logger.warn({ err: error, userId: user.id }, 'could not upgrade a password hash');
    }
  }
}

/** The device of a session principal, or `FORBIDDEN` for an API token. */
function requireSession(principal: Principal, action: string): string {
  if (principal.kind !== 'session' || principal.deviceId === null) {
    throw new AppError(
      'FORBIDDEN',
      `An API token cannot ${action}; sign in with a password on a device first.`,
    );
  }
  return principal.deviceId;
}
