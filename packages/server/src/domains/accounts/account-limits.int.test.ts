import { describe, expect, it } from 'vitest';
import {
  callApi,
  registerUser,
  uniqueUsername,
  type ApiAnswer,
} from '../../test-support/accounts.js';
import { startTestServer } from '../../test-support/test-app.js';

type ErrorAnswer = { error: { code: string } };

function codeOf(answer: ApiAnswer): string | undefined {
  return (answer.body as ErrorAnswer | undefined)?.error?.code;
}

function expectRateLimited(answer: ApiAnswer, windowSeconds: number) {
  expect({ status: answer.status, code: codeOf(answer) }).toEqual({
    status: 429,
    code: 'RATE_LIMITED',
  });
  const retryAfter = Number(answer.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
}

const login = (baseUrl: string, username: string, password: string, ip?: string) =>
  callApi(baseUrl, 'POST', '/api/auth/login', {
    body: { username, password },
    headers: ip === undefined ? {} : { 'x-forwarded-for': ip },
  });

describe('account rate limits', () => {
  it('locks an account after AUTH_LOGIN_ATTEMPTS_PER_ACCOUNT failures, even for the right password', async () => {
    await using server = await startTestServer({ AUTH_LOGIN_ATTEMPTS_PER_ACCOUNT: '3' });
    const user = await registerUser(server.baseUrl);
    const bystander = await registerUser(server.baseUrl);
    for (let i = 0; i < 3; i++) {
      expect((await login(server.baseUrl, user.username, 'wrong password')).status).toBe(401);
    }
    expectRateLimited(await login(server.baseUrl, user.username, user.password), 15 * 60);
    // Another case of the same name is the same account.
    expectRateLimited(await login(server.baseUrl, user.username.toUpperCase(), user.password), 900);
    expect((await login(server.baseUrl, bystander.username, bystander.password)).status).toBe(200);
  });

  it('limits an unknown username exactly like a real one', async () => {
    await using server = await startTestServer({ AUTH_LOGIN_ATTEMPTS_PER_ACCOUNT: '2' });
    const ghost = uniqueUsername('ghost');
    expect((await login(server.baseUrl, ghost, 'whatever it is')).status).toBe(401);
    expect((await login(server.baseUrl, ghost, 'whatever it is')).status).toBe(401);
    expectRateLimited(await login(server.baseUrl, ghost, 'whatever it is'), 900);
  });

  it("resets an account's failures after a successful login", async () => {
    await using server = await startTestServer({ AUTH_LOGIN_ATTEMPTS_PER_ACCOUNT: '3' });
    const user = await registerUser(server.baseUrl);
    for (let i = 0; i < 2; i++) {
      expect((await login(server.baseUrl, user.username, 'wrong password')).status).toBe(401);
    }
    expect((await login(server.baseUrl, user.username, user.password)).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      expect((await login(server.baseUrl, user.username, 'wrong password')).status).toBe(401);
    }
    expect((await login(server.baseUrl, user.username, user.password)).status).toBe(200);
  });

  it('limits login attempts per IP across accounts, and not other IPs', async () => {
    await using server = await startTestServer({
      AUTH_LOGIN_ATTEMPTS_PER_IP: '4',
      TRUST_PROXY: 'true',
    });
    const user = await registerUser(server.baseUrl);
    for (let i = 0; i < 4; i++) {
      const res = await login(
        server.baseUrl,
        uniqueUsername('spray'),
        'guess guess',
        '203.0.113.7',
      );
      expect(res.status).toBe(401);
    }
    expectRateLimited(
      await login(server.baseUrl, user.username, user.password, '203.0.113.7'),
      900,
    );
    expect((await login(server.baseUrl, user.username, user.password, '198.51.100.9')).status).toBe(
      200,
    );
  });

  it('limits registrations per IP with AUTH_REGISTRATIONS_PER_IP', async () => {
    await using server = await startTestServer({ AUTH_REGISTRATIONS_PER_IP: '2' });
    await registerUser(server.baseUrl);
    await registerUser(server.baseUrl);
    const third = await callApi(server.baseUrl, 'POST', '/api/auth/register', {
      body: { username: uniqueUsername('third'), password: 'a fine long passphrase' },
    });
    expectRateLimited(third, 60 * 60);
  });

  it('limits directory lookups per signed-in account', async () => {
    await using server = await startTestServer({ AUTH_USER_LOOKUPS_PER_MINUTE: '3' });
    const target = await registerUser(server.baseUrl);
    const scraper = await registerUser(server.baseUrl);
    const other = await registerUser(server.baseUrl);
    const lookUp = (token: string) =>
      callApi(server.baseUrl, 'GET', `/api/users/by-username/${target.username}`, { token });
    for (let i = 0; i < 3; i++) expect((await lookUp(scraper.token)).status).toBe(200);
    expectRateLimited(await lookUp(scraper.token), 60);
    expectRateLimited(
      await callApi(server.baseUrl, 'GET', `/api/users/${target.userId}`, { token: scraper.token }),
      60,
    );
    expect((await lookUp(other.token)).status).toBe(200);
  });

  it('counts wrong current passwords against the account like failed logins', async () => {
    await using server = await startTestServer({ AUTH_LOGIN_ATTEMPTS_PER_ACCOUNT: '2' });
    const user = await registerUser(server.baseUrl);
    const change = (currentPassword: string) =>
      callApi(server.baseUrl, 'POST', '/api/auth/password', {
        token: user.token,
        body: { currentPassword, newPassword: 'a brand new passphrase' },
      });
    expect(codeOf(await change('guess one'))).toBe('WRONG_PASSWORD');
    expect(codeOf(await change('guess two'))).toBe('WRONG_PASSWORD');
    expectRateLimited(await change(user.password), 900);
    expectRateLimited(await login(server.baseUrl, user.username, user.password), 900);
  });
});
