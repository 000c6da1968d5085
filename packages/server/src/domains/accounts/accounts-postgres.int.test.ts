import { randomBytes } from 'node:crypto';
import type { CreatedApiToken, Device, Me } from '@switchboard/shared';
import { describe, expect, it } from 'vitest';
import { callApi, loginUser, registerUser } from '../../test-support/accounts.js';
import { servicesAvailable, TEST_SERVICES } from '../../test-support/services.js';
import { startTestServer } from '../../test-support/test-app.js';

/** A fresh, empty PostgreSQL database; the server migrates it. Dropped by the returned function. */
async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const { default: pg } = await import('pg');
  const name = `sb_accounts_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: TEST_SERVICES.postgres });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_SERVICES.postgres);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

describe.skipIf(!(await servicesAvailable(['postgres'])))('accounts on PostgreSQL', () => {
  it('registers, signs in, lists, revokes and changes passwords through the whole app', async () => {
    const database = await freshDatabase();
    try {
      await using server = await startTestServer({ DATABASE_URL: database.url, CLUSTER: 'false' });
      const user = await registerUser(server.baseUrl, { displayName: 'Pat Gres' });
      const laptop = await loginUser(server.baseUrl, user, 'Laptop');
      const me = await callApi<Me>(server.baseUrl, 'GET', '/api/me', { token: laptop.token });
      expect(me.body).toMatchObject({ userId: user.userId, displayName: 'Pat Gres' });
      expect(Date.parse(me.body.createdAt)).toBeGreaterThan(Date.now() - 60_000);

      const devices = await callApi<{ items: Device[] }>(server.baseUrl, 'GET', '/api/devices', {
        token: laptop.token,
      });
      expect(devices.body.items.map((d) => [d.deviceId, d.current])).toEqual([
        [user.deviceId, false],
        [laptop.deviceId, true],
      ]);

      const token = await callApi<CreatedApiToken>(server.baseUrl, 'POST', '/api/tokens', {
        token: user.token,
        body: { name: 'pg script', expiresInDays: 7 },
      });
      expect(token.status).toBe(201);
      expect(
        (await callApi(server.baseUrl, 'GET', '/api/me', { token: token.body.token })).status,
      ).toBe(200);

      const changed = await callApi(server.baseUrl, 'POST', '/api/auth/password', {
        token: laptop.token,
        body: { currentPassword: user.password, newPassword: 'a postgres passphrase' },
      });
      expect(changed.status).toBe(204);
      expect((await callApi(server.baseUrl, 'GET', '/api/me', { token: user.token })).status).toBe(
        401,
      );
      expect(await server.app.accounts.devicesOf(user.userId)).toEqual([laptop.deviceId]);

      expect(
        (await callApi(server.baseUrl, 'POST', '/api/auth/logout', { token: laptop.token })).status,
      ).toBe(204);
      expect(
        (await callApi(server.baseUrl, 'GET', '/api/me', { token: laptop.token })).status,
      ).toBe(401);
    } finally {
      await database.drop();
    }
  });
});
