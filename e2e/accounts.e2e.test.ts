import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpawnedServer } from '../packages/server/src/test-support/spawn-server.js';
import { PASSWORD, sessionToken, signUpInBrowser, uniqueUsername } from './support/accounts.js';
import { launchBrowser, openPage, screenshot } from './support/browser.js';
import { startServer } from './support/server.js';

let server: SpawnedServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('Accounts in the browser', () => {
  it('signs up, signs out and signs back in', async () => {
    const { page, errors, close } = await openPage(browser, server.baseUrl);
    const username = uniqueUsername('alice');
    await signUpInBrowser(page, username);
    // A new account lands on its (empty) list of links, named in the header.
    await page.getByRole('heading', { level: 1, name: 'My links' }).waitFor();
    expect(await page.getByRole('banner').getByText(username).isVisible()).toBe(true);
    await page.getByText('No links yet').waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem('switchboard.session'))).toBeNull();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByText('My links').count()).toBe(
      0,
    );

    await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await screenshot(page, 'sign-in');
    await page.getByLabel('Username').fill(username.toUpperCase());
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'My links' }).waitFor();
    expect(await page.getByRole('banner').getByText(username).isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await close();
  });

  it('explains a wrong password, and a taken username', async () => {
    const { page, close } = await openPage(browser, server.baseUrl);
    const username = uniqueUsername('bob');
    await signUpInBrowser(page, username);
    await page.getByRole('button', { name: 'Sign out' }).click();

    await page.goto('/login');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain("That username and password don't match");

    await page.goto('/signup');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    const field = page.getByLabel('Username');
    await expect.poll(() => field.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByText('That username is taken').isVisible()).toBe(true);
    // The error is tied to the field, so a screen reader reads it with the label.
    const describedBy = (await field.getAttribute('aria-describedby')) ?? '';
    const description = await page.evaluate(
      (ids) =>
        ids
          .split(' ')
          .map((id) => document.getElementById(id)?.textContent)
          .join(' '),
      describedBy,
    );
    expect(description).toContain('That username is taken');
    await screenshot(page, 'sign-up-error');
    await close();
  });

  it('sends a signed-out visitor of a private screen to sign in, and back after', async () => {
    const { page, close } = await openPage(browser, server.baseUrl);
    await page.goto('/settings');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe('/settings');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Username').fill(uniqueUsername('carol'));
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await close();
  });

  it('signs out cleanly when the server no longer accepts the session', async () => {
    const { page, errors, close } = await openPage(browser, server.baseUrl);
    await signUpInBrowser(page, uniqueUsername('dave'));
    const token = await sessionToken(page);
    // The session ends elsewhere (another tab's sign-out, a device signed out remotely).
    const logout = await fetch(`${server.baseUrl}/api/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(logout.status).toBe(204);

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Settings' })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    expect(await page.getByText('Your session ended').isVisible()).toBe(true);
    expect(await page.evaluate(() => localStorage.getItem('switchboard.session'))).toBeNull();
    expect(await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).isVisible()).toBe(
      true,
    );
    expect(errors).toEqual([]);
    await close();
  });

  it('lists devices, signs one out, and shows a new API token once', async () => {
    const username = uniqueUsername('erin');
    const laptop = await openPage(browser, server.baseUrl);
    await signUpInBrowser(laptop.page, username);
    const phone = await openPage(browser, server.baseUrl);
    await phone.page.goto('/login');
    await phone.page.getByLabel('Username').fill(username);
    await phone.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await phone.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await phone.page.getByRole('heading', { level: 1, name: 'My links' }).waitFor();
    const phoneToken = await sessionToken(phone.page);

    const { page } = laptop;
    await page.goto('/settings');
    const devices = page.getByRole('list', { name: 'Signed-in devices' }).getByRole('listitem');
    await expect.poll(() => devices.count()).toBe(2);
    expect(await devices.first().getByText('This device').isVisible()).toBe(true);

    // Sign the other device out: it is refused at once.
    await devices
      .nth(1)
      .getByRole('button', { name: /^Sign out/ })
      .click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => devices.count()).toBe(1);
    const refused = await fetch(`${server.baseUrl}/api/me`, {
      headers: { authorization: `Bearer ${phoneToken}` },
    });
    expect(refused.status).toBe(401);

    // A token's secret is shown once, works, and stops working when revoked.
    await page.getByLabel('Token name').fill('deploy script');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByTestId('token-secret').textContent()) ?? '';
    expect(secret.length).toBeGreaterThan(20);
    const me = await fetch(`${server.baseUrl}/api/me`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(me.status).toBe(200);
    await screenshot(page, 'settings');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    expect(await page.getByTestId('token-secret').count()).toBe(0);

    const tokens = page.getByRole('list', { name: 'API tokens' }).getByRole('listitem');
    await tokens
      .first()
      .getByRole('button', { name: /^Revoke/ })
      .click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await expect.poll(() => page.getByRole('list', { name: 'API tokens' }).count()).toBe(0);
    const revoked = await fetch(`${server.baseUrl}/api/me`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(revoked.status).toBe(401);
    await laptop.close();
    await phone.close();
  });
});
