import type { ApiToken, CreatedApiToken, Device, Me } from '@switchboard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, loginUser, registerUser, type ApiAnswer } from '../../test-support/accounts.js';
import { startTestServer, type TestServer } from '../../test-support/test-app.js';
import type { DeviceChange } from './accounts.module.js';

type ErrorAnswer = { error: { code: string; message: string } };
type List<T> = { items: T[] };

function expectError(answer: ApiAnswer, status: number, code: string) {
  expect({
    status: answer.status,
    code: (answer.body as ErrorAnswer | undefined)?.error?.code,
  }).toEqual({ status, code });
}

/** A clock the test moves by hand. */
function manualClock(start = Date.now()) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const DAY = 86_400_000;
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

describe('devices and API tokens over HTTP', () => {
  const clock = manualClock();
  let server: TestServer;
  const call = <T = unknown>(
    ...args: Parameters<typeof callApi> extends [string, ...infer R] ? R : never
  ) => callApi<T>(server.baseUrl, ...args);
  const changes: DeviceChange[] = [];

  beforeAll(async () => {
    server = await startTestServer({ AUTH_SESSION_IDLE_DAYS: '30' }, { clock });
    server.app.accounts.onDeviceChange((change) => changes.push(change));
  });
  afterAll(() => server.close());

  describe('GET /api/devices', () => {
    it('lists every login as a device, named by the client or from its user agent', async () => {
      const user = await registerUser(server.baseUrl, { deviceName: 'Phone' });
      clock.advance(1_000);
      const login = await callApi<{ token: string; deviceId: string }>(
        server.baseUrl,
        'POST',
        '/api/auth/login',
        {
          body: { username: user.username, password: user.password },
          headers: { 'user-agent': FIREFOX },
        },
      );
      const res = await call<List<Device>>('GET', '/api/devices', { token: login.body.token });
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([
        {
          deviceId: user.deviceId,
          name: 'Phone',
          createdAt: expect.any(String),
          lastSeenAt: expect.any(String),
          userAgent: 'node',
          current: false,
        },
        {
          deviceId: login.body.deviceId,
          name: 'Firefox on Linux',
          createdAt: expect.any(String),
          lastSeenAt: expect.any(String),
          userAgent: FIREFOX,
          current: true,
        },
      ]);
    });

    it("never shows another account's devices", async () => {
      const alice = await registerUser(server.baseUrl);
      const bob = await registerUser(server.baseUrl);
      const res = await call<List<Device>>('GET', '/api/devices', { token: bob.token });
      expect(res.body.items.map((d) => d.deviceId)).toEqual([bob.deviceId]);
      expect(res.body.items.map((d) => d.deviceId)).not.toContain(alice.deviceId);
    });
  });

  describe('DELETE /api/devices/:deviceId', () => {
    it('signs another device out at once and tells the other domains', async () => {
      const user = await registerUser(server.baseUrl);
      const laptop = await loginUser(server.baseUrl, user);
      const seen = changes.length;
      const res = await call('DELETE', `/api/devices/${laptop.deviceId}`, { token: user.token });
      expect(res.status).toBe(204);
      expectError(await call('GET', '/api/me', { token: laptop.token }), 401, 'UNAUTHENTICATED');
      expect(changes.slice(seen)).toEqual([
        { userId: user.userId, deviceId: laptop.deviceId, change: 'revoked' },
      ]);
      expect(await server.app.accounts.devicesOf(user.userId)).toEqual([user.deviceId]);
    });

    it("signs the caller's own device out too", async () => {
      const user = await registerUser(server.baseUrl);
      expect(
        (await call('DELETE', `/api/devices/${user.deviceId}`, { token: user.token })).status,
      ).toBe(204);
      expectError(await call('GET', '/api/me', { token: user.token }), 401, 'UNAUTHENTICATED');
    });

    it("answers 404 DEVICE_NOT_FOUND for an unknown device or another account's", async () => {
      const alice = await registerUser(server.baseUrl);
      const bob = await registerUser(server.baseUrl);
      expectError(
        await call('DELETE', `/api/devices/${alice.deviceId}`, { token: bob.token }),
        404,
        'DEVICE_NOT_FOUND',
      );
      expectError(
        await call('DELETE', '/api/devices/not-a-device', { token: bob.token }),
        404,
        'DEVICE_NOT_FOUND',
      );
      expect((await call('GET', '/api/me', { token: alice.token })).status).toBe(200);
    });
  });

  describe('POST /api/devices/sign-out-others', () => {
    it("signs out every device but the caller's, at once, and keeps API tokens", async () => {
      const user = await registerUser(server.baseUrl);
      const laptop = await loginUser(server.baseUrl, user);
      const phone = await loginUser(server.baseUrl, user);
      const created = await call<CreatedApiToken>('POST', '/api/tokens', {
        token: user.token,
        body: { name: 'kept' },
      });
      const seen = changes.length;
      const res = await call('POST', '/api/devices/sign-out-others', { token: laptop.token });
      expect(res).toMatchObject({ status: 200, body: { signedOut: 2 } });
      for (const token of [user.token, phone.token]) {
        expectError(await call('GET', '/api/me', { token }), 401, 'UNAUTHENTICATED');
      }
      expect((await call('GET', '/api/me', { token: laptop.token })).status).toBe(200);
      expect((await call('GET', '/api/me', { token: created.body.token })).status).toBe(200);
      expect(
        changes
          .slice(seen)
          .map((c) => c.deviceId)
          .sort(),
      ).toEqual([user.deviceId, phone.deviceId].sort());
      const again = await call('POST', '/api/devices/sign-out-others', { token: laptop.token });
      expect(again.body).toEqual({ signedOut: 0 });
    });

    it('is refused to an API token with 403 FORBIDDEN', async () => {
      const user = await registerUser(server.baseUrl);
      const created = await call<CreatedApiToken>('POST', '/api/tokens', {
        token: user.token,
        body: { name: 'script' },
      });
      expectError(
        await call('POST', '/api/devices/sign-out-others', { token: created.body.token }),
        403,
        'FORBIDDEN',
      );
      expect((await call('GET', '/api/me', { token: user.token })).status).toBe(200);
    });
  });

  describe('personal API tokens', () => {
    it('creates a token whose secret is shown once, lists it without the secret, and authenticates with it', async () => {
      const user = await registerUser(server.baseUrl);
      const created = await call<CreatedApiToken>('POST', '/api/tokens', {
        token: user.token,
        body: { name: 'backup script' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        tokenId: expect.any(String),
        name: 'backup script',
        createdAt: expect.any(String),
        lastUsedAt: null,
        expiresAt: null,
        token: expect.stringMatching(/^sbp_[A-Za-z0-9_-]{43}$/),
      });
      const me = await call<Me>('GET', '/api/me', { token: created.body.token });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ userId: user.userId, deviceId: null });
      const list = await call<List<ApiToken>>('GET', '/api/tokens', { token: user.token });
      expect(list.body.items).toEqual(
        [{ ...created.body, token: undefined, lastUsedAt: expect.any(String) }].map(
          ({ token: _t, ...rest }) => rest,
        ),
      );
      expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    });

    it('revokes a token at once', async () => {
      const user = await registerUser(server.baseUrl);
      const created = await call<CreatedApiToken>('POST', '/api/tokens', {
        token: user.token,
        body: { name: 'ci' },
      });
      expect((await call('GET', '/api/me', { token: created.body.token })).status).toBe(200);
      const res = await call('DELETE', `/api/tokens/${created.body.tokenId}`, {
        token: user.token,
      });
      expect(res.status).toBe(204);
      expectError(
        await call('GET', '/api/me', { token: created.body.token }),
        401,
        'UNAUTHENTICATED',
      );
      expectError(
        await call('DELETE', `/api/tokens/${created.body.tokenId}`, { token: user.token }),
        404,
        'TOKEN_NOT_FOUND',
      );
    });

    it("answers 404 TOKEN_NOT_FOUND for another account's token", async () => {
      const alice = await registerUser(server.baseUrl);
      const bob = await registerUser(server.baseUrl);
      const created = await call<CreatedApiToken>('POST', '/api/tokens', {
        token: alice.token,
        body: { name: 'mine' },
      });
      expectError(
        await call('DELETE', `/api/tokens/${created.body.tokenId}`, { token: bob.token }),
        404,
        'TOKEN_NOT_FOUND',
      );
      expect((await call('GET', '/api/me', { token: created.body.token })).status).toBe(200);
    });

    it('cannot create tokens, revoke tokens, sign devices out or change the password (403 FORBIDDEN)', async () => {
      const user = await registerUser(server.baseUrl);
      const other = await loginUser(server.baseUrl, user);
      const created = await call<CreatedApiToken>('POST', '/api/tokens', {
        token: user.token,
        body: { name: 'script' },
      });
      const apiToken = created.body.token;
      expectError(
        await call('POST', '/api/tokens', { token: apiToken, body: { name: 'escalate' } }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await call('DELETE', `/api/tokens/${created.body.tokenId}`, { token: apiToken }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await call('DELETE', `/api/devices/${other.deviceId}`, { token: apiToken }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await call('POST', '/api/auth/password', {
          token: apiToken,
          body: { currentPassword: user.password, newPassword: 'a brand new passphrase' },
        }),
        403,
        'FORBIDDEN',
      );
      // Nothing changed.
      expect((await call('GET', '/api/me', { token: other.token })).status).toBe(200);
      const tokens = await call<List<ApiToken>>('GET', '/api/tokens', { token: apiToken });
      expect(tokens.body.items.map((t) => t.tokenId)).toEqual([created.body.tokenId]);
    });

    it('has no device: the chat cannot use it, and devicesOf never lists it', async () => {
      const user = await registerUser(server.baseUrl);
      const created = await call<CreatedApiToken>('POST', '/api/tokens', {
        token: user.token,
        body: { name: 'script' },
      });
      const principal = await server.app.accounts.authenticate(created.body.token);
      expect(principal).toEqual({
        userId: user.userId,
        username: user.username,
        deviceId: null,
        tokenId: created.body.tokenId,
        kind: 'api',
      });
      expect(await server.app.accounts.devicesOf(user.userId)).toEqual([user.deviceId]);
    });

    it('revokes itself on logout, leaving the sessions signed in', async () => {
      const user = await registerUser(server.baseUrl);
      const created = await call<CreatedApiToken>('POST', '/api/tokens', {
        token: user.token,
        body: { name: 'one-off' },
      });
      expect((await call('POST', '/api/auth/logout', { token: created.body.token })).status).toBe(
        204,
      );
      expectError(
        await call('GET', '/api/me', { token: created.body.token }),
        401,
        'UNAUTHENTICATED',
      );
      expect((await call('GET', '/api/me', { token: user.token })).status).toBe(200);
    });

    it('stops working after its expiry', async () => {
      const user = await registerUser(server.baseUrl);
      const created = await call<CreatedApiToken>('POST', '/api/tokens', {
        token: user.token,
        body: { name: 'short-lived', expiresInDays: 1 },
      });
      expect(Date.parse(created.body.expiresAt!) - Date.parse(created.body.createdAt)).toBe(DAY);
      expect((await call('GET', '/api/me', { token: created.body.token })).status).toBe(200);
      clock.advance(DAY + 1);
      expectError(
        await call('GET', '/api/me', { token: created.body.token }),
        401,
        'UNAUTHENTICATED',
      );
    });

    it.each([
      ['no name', {}],
      ['a blank name', { name: '  ' }],
      ['an expiry of 0 days', { name: 'x', expiresInDays: 0 }],
      ['a fractional expiry', { name: 'x', expiresInDays: 1.5 }],
    ])('refuses a token with %s', async (_why, body) => {
      const user = await registerUser(server.baseUrl);
      expectError(
        await call('POST', '/api/tokens', { token: user.token, body }),
        400,
        'INVALID_REQUEST',
      );
    });
  });

  describe('last seen', () => {
    it('records use at most once a minute, off the request path', async () => {
      const user = await registerUser(server.baseUrl);
      const lastSeen = async () => {
        const res = await call<List<Device>>('GET', '/api/devices', { token: user.token });
        return res.body.items[0]!.lastSeenAt;
      };
      const first = await lastSeen();
      clock.advance(30_000);
      await call('GET', '/api/me', { token: user.token });
      expect(await lastSeen()).toBe(first);
      clock.advance(31_000);
      await call('GET', '/api/me', { token: user.token });
      await expect.poll(lastSeen).toBe(new Date(clock.now()).toISOString());
    });
  });

  describe('idle sessions', () => {
    it('signs a device out once it has been unused for longer than AUTH_SESSION_IDLE_DAYS', async () => {
      const user = await registerUser(server.baseUrl);
      const kept = await loginUser(server.baseUrl, user);
      clock.advance(20 * DAY);
      expect((await call('GET', '/api/me', { token: kept.token })).status).toBe(200);
      clock.advance(11 * DAY);
      const seen = changes.length;
      expectError(await call('GET', '/api/me', { token: user.token }), 401, 'UNAUTHENTICATED');
      expect(changes.slice(seen)).toEqual([
        { userId: user.userId, deviceId: user.deviceId, change: 'revoked' },
      ]);
      expect((await call('GET', '/api/me', { token: kept.token })).status).toBe(200);
      expect(await server.app.accounts.devicesOf(user.userId)).toEqual([kept.deviceId]);
    });

    it('sweeps idle devices of every account', async () => {
      const user = await registerUser(server.baseUrl);
      clock.advance(31 * DAY);
      const fresh = await registerUser(server.baseUrl);
      const removed = await server.app.accounts.service.signOutIdleDevices();
      expect(removed).toBeGreaterThanOrEqual(1);
      expect(await server.app.accounts.devicesOf(user.userId)).toEqual([]);
      expect(await server.app.accounts.devicesOf(fresh.userId)).toEqual([fresh.deviceId]);
    });
  });
});

describe('the device limit', () => {
  it('signs the least recently used device out when a login goes beyond AUTH_MAX_DEVICES_PER_USER', async () => {
    const clock = manualClock();
    await using server = await startTestServer({ AUTH_MAX_DEVICES_PER_USER: '2' }, { clock });
    const changes: DeviceChange[] = [];
    server.app.accounts.onDeviceChange((c) => changes.push(c));
    const user = await registerUser(server.baseUrl);
    clock.advance(60_000);
    const second = await loginUser(server.baseUrl, user);
    clock.advance(60_000);
    // The first device is used again, so the second is now the least recently used.
    expect((await callApi(server.baseUrl, 'GET', '/api/me', { token: user.token })).status).toBe(
      200,
    );
    await expect
      .poll(async () => {
        const res = await callApi<List<Device>>(server.baseUrl, 'GET', '/api/devices', {
          token: user.token,
        });
        return res.body.items.find((d) => d.deviceId === user.deviceId)?.lastSeenAt;
      })
      .toBe(new Date(clock.now()).toISOString());
    clock.advance(60_000);
    const third = await loginUser(server.baseUrl, user);
    expect((await callApi(server.baseUrl, 'GET', '/api/me', { token: second.token })).status).toBe(
      401,
    );
    expect(await server.app.accounts.devicesOf(user.userId)).toEqual([
      user.deviceId,
      third.deviceId,
    ]);
    expect(changes.slice(-2)).toEqual([
      { userId: user.userId, deviceId: third.deviceId, change: 'added' },
      { userId: user.userId, deviceId: second.deviceId, change: 'revoked' },
    ]);
  });
});
