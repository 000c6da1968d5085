import type { CreatedApiToken, SessionResponse } from '@switchboard/shared';
import { describe, expect, it } from 'vitest';
import { callApi, uniqueUsername } from '../../test-support/accounts.js';
import { startTestServer } from '../../test-support/test-app.js';

describe('account logs', () => {
  it('never contain a password or a token, at the most verbose level', async () => {
    const lines: string[] = [];
    await using server = await startTestServer(
      { LOG_LEVEL: 'trace', LOG_REQUESTS: 'true' },
      {},
      { logLines: lines },
    );
    const username = uniqueUsername('secretive');
    const password = 'Tr0ub4dor&3-horse-PASSWORD-secret';
    const newPassword = 'another-Very-Secret-pass-phrase';
    const secrets = [password, newPassword];
    const post = (path: string, body: unknown, token?: string) =>
      callApi(server.baseUrl, 'POST', path, { body, ...(token === undefined ? {} : { token }) });

    const registered = await post('/api/auth/register', { username, password });
    expect(registered.status).toBe(201);
    const session = registered.body as SessionResponse;
    secrets.push(session.token);

    const loggedIn = await post('/api/auth/login', { username, password });
    expect(loggedIn.status).toBe(200);
    secrets.push((loggedIn.body as SessionResponse).token);

    expect((await post('/api/auth/login', { username, password: `${password}!` })).status).toBe(
      401,
    );
    secrets.push(`${password}!`);
    // A password typed into the username field must not be logged either.
    const typo = 'my-Secret-typed-in-the-wrong-field';
    expect((await post('/api/auth/login', { username: typo, password })).status).toBe(401);
    secrets.push(typo);
    // A request that fails validation, with a password in it.
    expect((await post('/api/auth/register', { username: 7, password })).status).toBe(400);

    const token = await post('/api/tokens', { name: 'script' }, session.token);
    expect(token.status).toBe(201);
    secrets.push((token.body as CreatedApiToken).token);
    expect(
      (
        await callApi(server.baseUrl, 'GET', '/api/me', {
          token: (token.body as CreatedApiToken).token,
        })
      ).status,
    ).toBe(200);
    expect(
      (await post('/api/auth/password', { currentPassword: password, newPassword }, session.token))
        .status,
    ).toBe(204);
    expect((await post('/api/auth/logout', undefined, session.token)).status).toBe(204);
    await server.close();

    // The test means something only if the interesting lines were written.
    const text = lines.join('');
    expect(text).toContain('account registered');
    expect(text).toContain('login failed');
    expect(text).toContain('password changed');
    expect(text).toContain('incoming request');
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      // Nor any long piece of it (a token cut in half is still a leak).
      expect(text).not.toContain(secret.slice(4, 24));
    }
  });
});
