import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';

/** A username no other test uses (usernames are global on a server). */
export function uniqueUsername(prefix = 'user'): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

/** A password the server's rules accept. */
export const PASSWORD = 'tidal-parsnip-quartz-71';

/** Signs up through the app's own form and waits until the app shows the user signed in. */
export async function signUpInBrowser(page: Page, username: string, password = PASSWORD) {
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** The session token the app keeps in localStorage, to call the API as the same user. */
export async function sessionToken(page: Page): Promise<string> {
  const token = await page.evaluate(() => {
    const raw = localStorage.getItem('switchboard.session');
    return raw === null ? null : (JSON.parse(raw) as { token?: string }).token;
  });
  if (typeof token !== 'string') throw new Error('the page has no session');
  return token;
}

/** A session as the app stores it in localStorage. */
export interface StoredSession {
  readonly token: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly username: string;
}

/** Registers a user through the API (quicker than the form when the form is not tested). */
export async function registerByApi(
  baseUrl: string,
  username = uniqueUsername(),
  password = PASSWORD,
): Promise<StoredSession> {
  const response = await fetch(`${baseUrl}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 201) {
    throw new Error(`register ${username}: ${response.status} ${await response.text()}`);
  }
  const session = (await response.json()) as Omit<StoredSession, 'username'>;
  return { ...session, username };
}

/** Makes every page of a context start signed in as `session`, as if it had signed in. */
export async function signInContext(context: BrowserContext, session: StoredSession) {
  await context.addInitScript((stored) => {
    if (localStorage.getItem('switchboard.session') === null) {
      localStorage.setItem('switchboard.session', stored);
    }
  }, JSON.stringify(session));
}
