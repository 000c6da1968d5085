import { AppError } from '@switchboard/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../ids.js';
import type { AccountStore, NewApiToken, NewDevice, UserRecord } from './account-store.js';

/** A store for one test, and how to throw it away. */
export interface AccountStoreFixture {
  readonly store: AccountStore;
  dispose(): Promise<void>;
}

let counter = 0;
const T0 = 1_700_000_000_000;

function aUser(overrides: Partial<UserRecord> = {}): UserRecord {
  counter += 1;
  return {
    id: newId(),
    username: `user${counter}_${Math.random().toString(36).slice(2, 8)}`,
    displayName: null,
    passwordHash: `$argon2id$hash-${counter}`,
    hideLastSeen: false,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

function aDevice(userId: string, overrides: Partial<NewDevice> = {}): NewDevice {
  counter += 1;
  return {
    id: newId(),
    userId,
    name: `device ${counter}`,
    userAgent: 'test-agent/1.0',
    tokenHash: `device-hash-${counter}-${Math.random()}`,
    createdAt: T0 + counter,
    lastSeenAt: null,
    ...overrides,
  };
}

function aToken(userId: string, overrides: Partial<NewApiToken> = {}): NewApiToken {
  counter += 1;
  return {
    id: newId(),
    userId,
    name: `token ${counter}`,
    tokenHash: `token-hash-${counter}-${Math.random()}`,
    createdAt: T0 + counter,
    lastUsedAt: null,
    expiresAt: null,
    ...overrides,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error instanceof AppError ? error.code : `not an AppError: ${String(error)}`;
  }
}

/** The behaviour every `AccountStore` adapter must have; each adapter's tests call this. */
export function runAccountStoreContract(name: string, create: () => Promise<AccountStoreFixture>) {
  describe(`AccountStore contract: ${name}`, () => {
    let fixture: AccountStoreFixture;
    let store: AccountStore;
    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
    });
    afterEach(() => fixture.dispose());

    async function registered(overrides: Partial<UserRecord> = {}) {
      const user = aUser(overrides);
      const device = aDevice(user.id);
      await store.createUser(user, device);
      return { user, device };
    }

    it('stores a user with their first device and finds them by username and id', async () => {
      const { user, device } = await registered({ displayName: 'Ada', hideLastSeen: true });
      expect(await store.findUserByUsername(user.username)).toEqual(user);
      expect(await store.findUserById(user.id)).toEqual(user);
      const { tokenHash: _hash, ...stored } = device;
      expect(await store.listDevices(user.id)).toEqual([stored]);
    });

    it('answers null for an unknown username or id', async () => {
      expect(await store.findUserByUsername('nobody')).toBeNull();
      expect(await store.findUserById(newId())).toBeNull();
    });

    it('refuses a taken username with USERNAME_TAKEN and keeps the first account intact', async () => {
      const { user } = await registered();
      const second = aUser({ username: user.username });
      const device = aDevice(second.id);
      expect(await codeOf(store.createUser(second, device))).toBe('USERNAME_TAKEN');
      expect(await store.findUserByUsername(user.username)).toEqual(user);
      expect(await store.findUserById(second.id)).toBeNull();
      expect(await store.findSession(device.tokenHash)).toBeNull();
    });

    it('lets exactly one of many concurrent registrations of a username win', async () => {
      const username = aUser().username;
      const results = await Promise.all(
        Array.from({ length: 8 }, () => {
          const user = aUser({ username });
          return codeOf(store.createUser(user, aDevice(user.id)));
        }),
      );
      expect(results.filter((r) => r === undefined)).toHaveLength(1);
      expect(results.filter((r) => r === 'USERNAME_TAKEN')).toHaveLength(7);
    });

    it('finds many users by id at once, ignoring unknown and repeated ids', async () => {
      const users = [];
      for (let i = 0; i < 5; i++) users.push((await registered()).user);
      const ids = [...users.map((u) => u.id), newId(), users[0]!.id];
      const found = await store.findUsersByIds(ids);
      expect(found.map((u) => u.id).sort()).toEqual(users.map((u) => u.id).sort());
      expect(await store.findUsersByIds([])).toEqual([]);
    });

    it('finds more users than fit in one statement', async () => {
      const { user } = await registered();
      const ids = [...Array.from({ length: 1_200 }, () => newId()), user.id];
      expect((await store.findUsersByIds(ids)).map((u) => u.id)).toEqual([user.id]);
    });

    it('patches only the given profile fields', async () => {
      const { user } = await registered({ displayName: 'Ada' });
      const hidden = await store.updateProfile(user.id, { hideLastSeen: true }, T0 + 10);
      expect(hidden).toEqual({ ...user, hideLastSeen: true, updatedAt: T0 + 10 });
      const renamed = await store.updateProfile(user.id, { displayName: null }, T0 + 20);
      expect(renamed).toEqual({
        ...user,
        displayName: null,
        hideLastSeen: true,
        updatedAt: T0 + 20,
      });
      expect(await store.findUserById(user.id)).toEqual(renamed);
      expect(await store.updateProfile(newId(), { displayName: 'x' }, T0)).toBeNull();
    });

    it('replaces a password hash only while it is the expected one', async () => {
      const { user } = await registered();
      expect(await store.replacePasswordHash(user.id, 'stale', 'new-1', T0 + 5)).toBe(false);
      expect(await store.replacePasswordHash(user.id, user.passwordHash, 'new-1', T0 + 5)).toBe(
        true,
      );
      expect(await store.replacePasswordHash(user.id, user.passwordHash, 'new-2', T0 + 6)).toBe(
        false,
      );
      expect((await store.findUserById(user.id))?.passwordHash).toBe('new-1');
    });

    it('resolves a session token hash to its device and username', async () => {
      const { user, device } = await registered();
      const session = await store.findSession(device.tokenHash);
      expect(session?.username).toBe(user.username);
      expect(session?.device.id).toBe(device.id);
      expect(session?.device.userId).toBe(user.id);
      expect(session?.device).not.toHaveProperty('tokenHash');
      expect(await store.findSession('unknown-hash')).toBeNull();
    });

    it('adds devices, lists them oldest first, and refuses one for an unknown user', async () => {
      const { user, device } = await registered();
      const second = aDevice(user.id, { createdAt: device.createdAt + 1_000 });
      await store.addDevice(second);
      expect((await store.listDevices(user.id)).map((d) => d.id)).toEqual([device.id, second.id]);
      expect(await store.listDeviceIds(user.id)).toEqual([device.id, second.id]);
      expect(await codeOf(store.addDevice(aDevice(newId())))).toBe('USER_NOT_FOUND');
    });

    it('removes only the given devices of that user, and stops their tokens at once', async () => {
      const alice = await registered();
      const bob = await registered();
      const aliceSecond = aDevice(alice.user.id);
      await store.addDevice(aliceSecond);
      // Bob cannot remove Alice's device, even knowing its id.
      expect(await store.removeDevices(bob.user.id, [alice.device.id])).toEqual([]);
      expect(await store.removeDevices(alice.user.id, [alice.device.id, newId()])).toEqual([
        alice.device.id,
      ]);
      expect(await store.findSession(alice.device.tokenHash)).toBeNull();
      expect(await store.findSession(aliceSecond.tokenHash)).not.toBeNull();
      expect(await store.listDeviceIds(alice.user.id)).toEqual([aliceSecond.id]);
      expect(await store.listDeviceIds(bob.user.id)).toEqual([bob.device.id]);
    });

    it('removes every other device of a user, or all of them', async () => {
      const { user, device } = await registered();
      const others = [aDevice(user.id), aDevice(user.id)];
      for (const d of others) await store.addDevice(d);
      const bob = await registered();
      expect((await store.removeOtherDevices(user.id, device.id)).sort()).toEqual(
        others.map((d) => d.id).sort(),
      );
      expect(await store.listDeviceIds(user.id)).toEqual([device.id]);
      expect(await store.removeOtherDevices(user.id, null)).toEqual([device.id]);
      expect(await store.listDeviceIds(user.id)).toEqual([]);
      expect(await store.listDeviceIds(bob.user.id)).toEqual([bob.device.id]);
    });

    it('removes the devices idle since a cutoff, whether ever seen or not', async () => {
      const { user, device } = await registered();
      const seenLongAgo = aDevice(user.id, { createdAt: T0, lastSeenAt: T0 + 100 });
      const seenRecently = aDevice(user.id, { createdAt: T0, lastSeenAt: T0 + 10_000 });
      const newAndUnseen = aDevice(user.id, { createdAt: T0 + 10_000, lastSeenAt: null });
      for (const d of [seenLongAgo, seenRecently, newAndUnseen]) await store.addDevice(d);
      const removed = await store.removeDevicesIdleSince(T0 + 5_000);
      expect(removed.map((r) => r.deviceId).sort()).toEqual([device.id, seenLongAgo.id].sort());
      expect(removed.every((r) => r.userId === user.id)).toBe(true);
      expect((await store.listDeviceIds(user.id)).sort()).toEqual(
        [seenRecently.id, newAndUnseen.id].sort(),
      );
    });

    it('records when a device was seen, never moving it back', async () => {
      const { user, device } = await registered();
      await store.touchDevice(device.id, T0 + 60_000);
      await store.touchDevice(device.id, T0 + 30_000);
      expect((await store.listDevices(user.id))[0]?.lastSeenAt).toBe(T0 + 60_000);
      expect((await store.findSession(device.tokenHash))?.device.lastSeenAt).toBe(T0 + 60_000);
    });

    it('stores, lists, resolves and removes API tokens per user', async () => {
      const alice = await registered();
      const bob = await registered();
      const first = aToken(alice.user.id, { expiresAt: T0 + 86_400_000 });
      const second = aToken(alice.user.id);
      await store.createApiToken(first);
      await store.createApiToken(second);
      const { tokenHash: _h, ...firstStored } = first;
      expect(await store.listApiTokens(alice.user.id)).toEqual([
        firstStored,
        expect.objectContaining({ id: second.id }),
      ]);
      expect(await store.findApiToken(first.tokenHash)).toEqual({
        token: firstStored,
        username: alice.user.username,
      });
      expect(await store.removeApiToken(bob.user.id, first.id)).toBe(false);
      expect(await store.removeApiToken(alice.user.id, first.id)).toBe(true);
      expect(await store.removeApiToken(alice.user.id, first.id)).toBe(false);
      expect(await store.findApiToken(first.tokenHash)).toBeNull();
      expect((await store.listApiTokens(alice.user.id)).map((t) => t.id)).toEqual([second.id]);
      expect(await codeOf(store.createApiToken(aToken(newId())))).toBe('USER_NOT_FOUND');
    });

    it('records when an API token was used, never moving it back', async () => {
      const { user } = await registered();
      const token = aToken(user.id);
      await store.createApiToken(token);
      await store.touchApiToken(token.id, T0 + 90_000);
      await store.touchApiToken(token.id, T0 + 1);
      expect((await store.findApiToken(token.tokenHash))?.token.lastUsedAt).toBe(T0 + 90_000);
    });

    it('keeps session and API token hashes apart', async () => {
      const { user, device } = await registered();
      const token = aToken(user.id);
      await store.createApiToken(token);
      expect(await store.findApiToken(device.tokenHash)).toBeNull();
      expect(await store.findSession(token.tokenHash)).toBeNull();
    });
  });
}
