/**
 * The accounts domain's storage port: users, their devices (one per login, each with
 * its session token) and their personal API tokens. Secrets never reach a store:
 * only the SHA-256 of a token and the argon2id hash of a password do.
 */

/** An account as stored. */
export interface UserRecord {
  readonly id: string;
  /** Lower-case; unique. */
  readonly username: string;
  readonly displayName: string | null;
  readonly passwordHash: string;
  readonly hideLastSeen: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A device (a session) as stored, without its token hash. */
export interface DeviceRecord {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly userAgent: string | null;
  readonly createdAt: number;
  /** Updated at most once a minute, so it is as precise as that. */
  readonly lastSeenAt: number | null;
}

/** A device about to be stored, with the hash of its session token. */
export interface NewDevice extends DeviceRecord {
  readonly tokenHash: string;
}

/** A personal API token as stored, without its hash. */
export interface ApiTokenRecord {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly expiresAt: number | null;
}

/** An API token about to be stored, with the hash of its secret. */
export interface NewApiToken extends ApiTokenRecord {
  readonly tokenHash: string;
}

/** What a session token resolves to: its device and the owner's username. */
export interface SessionRecord {
  readonly device: DeviceRecord;
  readonly username: string;
}

/** What an API token resolves to: the token and the owner's username. */
export interface ApiTokenLookup {
  readonly token: ApiTokenRecord;
  readonly username: string;
}

/** The fields of a profile a user may change; `undefined` leaves a field as it is. */
export interface ProfilePatch {
  readonly displayName?: string | null;
  readonly hideLastSeen?: boolean;
}

/** A device that was removed, and whose it was. */
export interface RemovedDevice {
  readonly userId: string;
  readonly deviceId: string;
}

/**
 * Where accounts live. Every method is one statement or a sequence whose every
 * intermediate state is valid, so no adapter needs a transaction (see the adapter for
 * why that matters on a shared SQLite connection).
 */
export interface AccountStore {
  /**
   * Stores a new user and their first device. Throws `USERNAME_TAKEN` when the
   * username is in use; the user is then not stored.
   */
  createUser(user: UserRecord, device: NewDevice): Promise<void>;
  findUserByUsername(username: string): Promise<UserRecord | null>;
  findUserById(userId: string): Promise<UserRecord | null>;
  /** The users among `userIds` that exist, in no particular order. */
  findUsersByIds(userIds: readonly string[]): Promise<UserRecord[]>;
  /** Applies a profile patch; null when the user does not exist. */
  updateProfile(userId: string, patch: ProfilePatch, at: number): Promise<UserRecord | null>;
  /**
   * Replaces the password hash only if it is still `expectedHash` (so that two
   * concurrent changes cannot both win); true when it was replaced.
   */
  replacePasswordHash(
    userId: string,
    expectedHash: string,
    newHash: string,
    at: number,
  ): Promise<boolean>;

  /** Stores a device of an existing user; throws `USER_NOT_FOUND` when there is none. */
  addDevice(device: NewDevice): Promise<void>;
  /** A user's devices, oldest first. */
  listDevices(userId: string): Promise<DeviceRecord[]>;
  /** The ids of a user's devices, oldest first: the chat fan-out's hot path. */
  listDeviceIds(userId: string): Promise<string[]>;
  /** Removes the given devices of a user; answers the ids that existed. */
  removeDevices(userId: string, deviceIds: readonly string[]): Promise<string[]>;
  /** Removes every device of a user except `keepDeviceId` (if any); answers their ids. */
  removeOtherDevices(userId: string, keepDeviceId: string | null): Promise<string[]>;
  /** Removes every device not seen since `cutoff` (of any user); answers them. */
  removeDevicesIdleSince(cutoff: number): Promise<RemovedDevice[]>;
  /** The session whose token has this hash, or null. */
  findSession(tokenHash: string): Promise<SessionRecord | null>;
  /** Records that a device was seen at `at`. */
  touchDevice(deviceId: string, at: number): Promise<void>;

  /** Stores an API token of an existing user; throws `USER_NOT_FOUND` when there is none. */
  createApiToken(token: NewApiToken): Promise<void>;
  /** A user's API tokens, oldest first. */
  listApiTokens(userId: string): Promise<ApiTokenRecord[]>;
  /** Removes one API token of a user; false when the user has no such token. */
  removeApiToken(userId: string, tokenId: string): Promise<boolean>;
  /** The API token whose secret has this hash, or null. */
  findApiToken(tokenHash: string): Promise<ApiTokenLookup | null>;
  /** Records that an API token was used at `at`. */
  touchApiToken(tokenId: string, at: number): Promise<void>;
}
