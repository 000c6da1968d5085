import type { Me, PublicUser, SessionResponse } from '@switchboard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callApi,
  loginUser,
  registerUser,
  uniqueUsername,
  type ApiAnswer,
} from '../../test-support/accounts.js';
import { startTestServer, type TestServer } from '../../test-support/test-app.js';

type ErrorAnswer = { error: { code: string; message: string } };

function expectError(answer: ApiAnswer, status: number, code: string) {
  expect({
    status: answer.status,
    code: (answer.body as ErrorAnswer | undefined)?.error?.code,
  }).toEqual({ status, code });
}

describe('accounts over HTTP', () => {
  let server: TestServer;
  const call = <T = unknown>(
    ...args: Parameters<typeof callApi> extends [string, ...infer R] ? R : never
  ) => callApi<T>(server.baseUrl, ...args);

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  describe('POST /api/auth/register', () => {
    it('creates an account and answers a working session', async () => {
      const username = uniqueUsername('reg');
      const res = await call<SessionResponse>('POST', '/api/auth/register', {
        body: { username, password: 'a fine long passphrase', displayName: 'Reg Istered' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        userId: expect.any(String),
        deviceId: expect.any(String),
        token: expect.stringMatching(/^sbs_[A-Za-z0-9_-]{43}$/),
      });
      const me = await call<Me>('GET', '/api/me', { token: res.body.token });
      expect(me.status).toBe(200);
      expect(me.body).toEqual({
        userId: res.body.userId,
        username,
        displayName: 'Reg Istered',
        deviceId: res.body.deviceId,
        hideLastSeen: false,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    });

    it('stores the username lower-case and refuses it in another case with USERNAME_TAKEN', async () => {
      const username = uniqueUsername('Case');
      const first = await call<SessionResponse>('POST', '/api/auth/register', {
        body: { username, password: 'a fine long passphrase' },
      });
      expect(first.status).toBe(201);
      const me = await call<Me>('GET', '/api/me', { token: first.body.token });
      expect(me.body.username).toBe(username.toLowerCase());
      const again = await call('POST', '/api/auth/register', {
        body: { username: username.toUpperCase(), password: 'another fine passphrase' },
      });
      expectError(again, 409, 'USERNAME_TAKEN');
    });

    it('lets exactly one of concurrent registrations of a username through', async () => {
      const username = uniqueUsername('race');
      const answers = await Promise.all(
        Array.from({ length: 5 }, () =>
          call('POST', '/api/auth/register', {
            body: { username, password: 'a fine long passphrase' },
          }),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409]);
    });

    it.each([
      ['too short', 'ab'],
      ['starting with a digit', '9lives'],
      ['with a space', 'bad name'],
      ['reserved', 'admin'],
    ])('refuses a username %s with INVALID_USERNAME', async (_why, username) => {
      const res = await call('POST', '/api/auth/register', {
        body: { username, password: 'a fine long passphrase' },
      });
      expectError(res, 400, 'INVALID_USERNAME');
    });

    it.each([
      ['short', 'k9#Lm2!'],
      ['common', 'iloveyou123'],
      ['longer than 256 characters', 'xY7'.repeat(90)],
    ])('refuses a %s password with WEAK_PASSWORD', async (_why, password) => {
      const res = await call('POST', '/api/auth/register', {
        body: { username: uniqueUsername('weak'), password },
      });
      expectError(res, 400, 'WEAK_PASSWORD');
    });

    it('refuses a password equal to the username with WEAK_PASSWORD', async () => {
      const username = uniqueUsername('same');
      const res = await call('POST', '/api/auth/register', {
        body: { username, password: username.toUpperCase() },
      });
      expectError(res, 400, 'WEAK_PASSWORD');
    });

    it('refuses a malformed body with INVALID_REQUEST and the failing fields', async () => {
      const res = await call<{ error: { code: string; details: { path: string }[] } }>(
        'POST',
        '/api/auth/register',
        { body: { username: 42, password: 'a fine long passphrase' } },
      );
      expectError(res, 400, 'INVALID_REQUEST');
      expect(res.body.error.details.map((d) => d.path)).toContain('/username');
    });

    it('refuses a display name with control characters', async () => {
      const res = await call('POST', '/api/auth/register', {
        body: {
          username: uniqueUsername('ctl'),
          password: 'a fine long passphrase',
          displayName: 'evil\u202Eeman',
        },
      });
      expectError(res, 400, 'INVALID_REQUEST');
    });

    it('answers 403 FORBIDDEN while registration is closed', async () => {
      await using closed = await startTestServer({ REGISTRATION_OPEN: 'false' });
      const res = await callApi(closed.baseUrl, 'POST', '/api/auth/register', {
        body: { username: uniqueUsername('closed'), password: 'a fine long passphrase' },
      });
      expectError(res, 403, 'FORBIDDEN');
    });
  });

  describe('POST /api/auth/login', () => {
    it('signs in on a new device with its own token, case-insensitively', async () => {
      const user = await registerUser(server.baseUrl);
      const res = await call<SessionResponse>('POST', '/api/auth/login', {
        body: {
          username: user.username.toUpperCase(),
          password: user.password,
          deviceName: 'Laptop',
        },
      });
      expect(res.status).toBe(200);
      expect(res.body.userId).toBe(user.userId);
      expect(res.body.deviceId).not.toBe(user.deviceId);
      expect(res.body.token).not.toBe(user.token);
      const me = await call<Me>('GET', '/api/me', { token: res.body.token });
      expect(me.body.deviceId).toBe(res.body.deviceId);
    });

    it('accepts the password in another Unicode normal form', async () => {
      const user = await registerUser(server.baseUrl, { password: 'caf\u00e9 au lait, please' });
      await expect(
        loginUser(server.baseUrl, {
          username: user.username,
          password: 'cafe\u0301 au lait, please',
        }),
      ).resolves.toMatchObject({ userId: user.userId });
    });

    it('answers 401 INVALID_CREDENTIALS alike for a wrong password and an unknown user', async () => {
      const user = await registerUser(server.baseUrl);
      const wrong = await call<ErrorAnswer>('POST', '/api/auth/login', {
        body: { username: user.username, password: `${user.password}x` },
      });
      const unknown = await call<ErrorAnswer>('POST', '/api/auth/login', {
        body: { username: uniqueUsername('ghost'), password: user.password },
      });
      expectError(wrong, 401, 'INVALID_CREDENTIALS');
      expect(unknown.body).toEqual(wrong.body);
      expect(unknown.status).toBe(wrong.status);
    });

    it('takes as long for an unknown user as for a wrong password', async () => {
      const user = await registerUser(server.baseUrl);
      const time = async (username: string) => {
        const start = performance.now();
        const res = await call('POST', '/api/auth/login', {
          body: { username, password: 'definitely not it' },
        });
        expect(res.status).toBe(401);
        return performance.now() - start;
      };
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 7; i++) {
        known.push(await time(user.username));
        unknown.push(await time(uniqueUsername('ghost')));
      }
      // Without the dummy hash an unknown user would answer in ~1 ms against ~20+ ms.
      const ratio = median(unknown) / median(known);
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    });
  });

  describe('POST /api/auth/logout', () => {
    it("stops that session's token at once and leaves the other devices signed in", async () => {
      const user = await registerUser(server.baseUrl);
      const other = await loginUser(server.baseUrl, user);
      const out = await call('POST', '/api/auth/logout', { token: user.token });
      expect(out.status).toBe(204);
      expect(out.body).toBeUndefined();
      expectError(await call('GET', '/api/me', { token: user.token }), 401, 'UNAUTHENTICATED');
      expectError(
        await call('POST', '/api/auth/logout', { token: user.token }),
        401,
        'UNAUTHENTICATED',
      );
      expect((await call('GET', '/api/me', { token: other.token })).status).toBe(200);
    });

    it('needs a token', async () => {
      expectError(await call('POST', '/api/auth/logout'), 401, 'UNAUTHENTICATED');
    });
  });

  describe('authentication', () => {
    it.each([
      ['a malformed token', 'Bearer nonsense'],
      ['an unknown session token', `Bearer sbs_${'A'.repeat(43)}`],
      ['an unknown API token', `Bearer sbp_${'A'.repeat(43)}`],
    ])('refuses %s with UNAUTHENTICATED', async (_why, header) => {
      const res = await call('GET', '/api/me', { headers: { authorization: header } });
      expectError(res, 401, 'UNAUTHENTICATED');
    });
  });

  describe('GET and PATCH /api/me', () => {
    it('changes the display name and the last-seen privacy, and clears the name with null', async () => {
      const user = await registerUser(server.baseUrl, { displayName: 'First' });
      const patched = await call<Me>('PATCH', '/api/me', {
        token: user.token,
        body: { displayName: '  Second  ', hideLastSeen: true },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ displayName: 'Second', hideLastSeen: true });
      const cleared = await call<Me>('PATCH', '/api/me', {
        token: user.token,
        body: { displayName: null },
      });
      expect(cleared.body).not.toHaveProperty('displayName');
      expect(cleared.body.hideLastSeen).toBe(true);
      const profiles = await server.app.accounts.usersById([user.userId]);
      expect(profiles.get(user.userId)).toEqual({
        userId: user.userId,
        username: user.username,
        displayName: null,
        hideLastSeen: true,
      });
    });

    it('refuses a display name that is too long or blank', async () => {
      const user = await registerUser(server.baseUrl);
      for (const displayName of ['x'.repeat(65), '   ']) {
        const res = await call('PATCH', '/api/me', { token: user.token, body: { displayName } });
        expectError(res, 400, 'INVALID_REQUEST');
      }
    });

    it('needs a token', async () => {
      expectError(await call('GET', '/api/me'), 401, 'UNAUTHENTICATED');
      expectError(await call('PATCH', '/api/me', { body: {} }), 401, 'UNAUTHENTICATED');
    });
  });

  describe('POST /api/auth/password', () => {
    it('changes the password and signs every other device out at once', async () => {
      const user = await registerUser(server.baseUrl);
      const laptop = await loginUser(server.baseUrl, user);
      const phone = await loginUser(server.baseUrl, user);
      const changed = await call('POST', '/api/auth/password', {
        token: laptop.token,
        body: { currentPassword: user.password, newPassword: 'a brand new passphrase' },
      });
      expect(changed.status).toBe(204);
      expect((await call('GET', '/api/me', { token: laptop.token })).status).toBe(200);
      for (const token of [user.token, phone.token]) {
        expectError(await call('GET', '/api/me', { token }), 401, 'UNAUTHENTICATED');
      }
      const devices = await call<{ items: { deviceId: string }[] }>('GET', '/api/devices', {
        token: laptop.token,
      });
      expect(devices.body.items.map((d) => d.deviceId)).toEqual([laptop.deviceId]);
      const old = await call('POST', '/api/auth/login', {
        body: { username: user.username, password: user.password },
      });
      expectError(old, 401, 'INVALID_CREDENTIALS');
      await expect(
        loginUser(server.baseUrl, { username: user.username, password: 'a brand new passphrase' }),
      ).resolves.toMatchObject({ userId: user.userId });
    });

    it('refuses a wrong current password with WRONG_PASSWORD and changes nothing', async () => {
      const user = await registerUser(server.baseUrl);
      const other = await loginUser(server.baseUrl, user);
      const res = await call('POST', '/api/auth/password', {
        token: user.token,
        body: { currentPassword: 'not the password', newPassword: 'a brand new passphrase' },
      });
      expectError(res, 403, 'WRONG_PASSWORD');
      expect((await call('GET', '/api/me', { token: other.token })).status).toBe(200);
      await expect(loginUser(server.baseUrl, user)).resolves.toMatchObject({ userId: user.userId });
    });

    it('refuses a weak new password with WEAK_PASSWORD', async () => {
      const user = await registerUser(server.baseUrl);
      const res = await call('POST', '/api/auth/password', {
        token: user.token,
        body: { currentPassword: user.password, newPassword: 'password1' },
      });
      expectError(res, 400, 'WEAK_PASSWORD');
    });
  });

  describe('GET /api/users/...', () => {
    it('finds a user by username, case-insensitively, and by id', async () => {
      const target = await registerUser(server.baseUrl, { displayName: 'Tar Get' });
      const caller = await registerUser(server.baseUrl);
      const expected = { userId: target.userId, username: target.username, displayName: 'Tar Get' };
      const byName = await call<PublicUser>(
        'GET',
        `/api/users/by-username/${target.username.toUpperCase()}`,
        { token: caller.token },
      );
      expect(byName).toMatchObject({ status: 200, body: expected });
      const byId = await call<PublicUser>('GET', `/api/users/${target.userId}`, {
        token: caller.token,
      });
      expect(byId).toMatchObject({ status: 200, body: expected });
    });

    it('leaves out a display name that is not set', async () => {
      const target = await registerUser(server.baseUrl);
      const res = await call<PublicUser>('GET', `/api/users/${target.userId}`, {
        token: target.token,
      });
      expect(res.body).toEqual({ userId: target.userId, username: target.username });
    });

    it('answers 404 USER_NOT_FOUND for an unknown username or id', async () => {
      const caller = await registerUser(server.baseUrl);
      for (const path of [
        `/api/users/by-username/${uniqueUsername('ghost')}`,
        '/api/users/by-username/%20%00weird',
        // Longer than any username: still "no such user", not a schema error.
        `/api/users/by-username/${'a'.repeat(65)}`,
        '/api/users/01900000-0000-7000-8000-000000000000',
      ]) {
        expectError(await call('GET', path, { token: caller.token }), 404, 'USER_NOT_FOUND');
      }
    });

    it('answers anonymous callers 401 UNAUTHENTICATED', async () => {
      const target = await registerUser(server.baseUrl);
      expectError(
        await call('GET', `/api/users/by-username/${target.username}`),
        401,
        'UNAUTHENTICATED',
      );
      expectError(await call('GET', `/api/users/${target.userId}`), 401, 'UNAUTHENTICATED');
      expectError(
        await call('GET', `/api/users/by-username/${'a'.repeat(65)}`),
        401,
        'UNAUTHENTICATED',
      );
    });
  });
});
