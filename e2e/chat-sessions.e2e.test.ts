import type { Browser, Page, WebSocket } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpawnedServer } from '../packages/server/src/test-support/spawn-server.js';
import { PASSWORD, signInContext, type StoredSession } from './support/accounts.js';
import { launchBrowser, openPage } from './support/browser.js';
import {
  conversationRow,
  message,
  openChatFromNav,
  openChatUser,
  scriptClient,
  unexpectedErrors,
  waitOnline,
} from './support/chat.js';
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

/** The IndexedDB databases of the page's origin. */
const databases = (page: Page) =>
  page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));

/** The chat's keys in the page's localStorage. */
const chatKeys = (page: Page) =>
  page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('switchboard.chat.')));

/** The next chat socket the page opens. */
function nextSocket(page: Page): Promise<WebSocket> {
  return page.waitForEvent('websocket', (ws) => ws.url().endsWith('/ws'));
}

async function openSettings(page: Page) {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Settings' })
    .click();
  const devices = page.getByRole('list', { name: 'Signed-in devices' });
  await devices.waitFor();
  return devices;
}

describe('Chat and the account’s devices', () => {
  it('closes the socket and erases the history here when this device signs out in settings', async () => {
    const alice = await openChatUser(browser, server.baseUrl, 'alice');
    const opened = nextSocket(alice.page);
    await alice.page.reload();
    const socket = await opened;
    await waitOnline(alice.page);
    const bob = await scriptClient(server.baseUrl);
    await bob.client.send({ user: alice.session.userId }, { text: 'remember me?' });
    await conversationRow(alice.page, bob.session.username).waitFor();
    const database = `switchboard-chat-${alice.session.userId}`;
    expect(await databases(alice.page)).toContain(database);

    const devices = await openSettings(alice.page);
    const closed = socket.waitForEvent('close');
    await devices
      .getByRole('listitem')
      .first()
      .getByRole('button', { name: /^Sign out/ })
      .click();
    const confirm = alice.page.getByRole('dialog', { name: 'Sign out this device?' });
    await confirm.getByRole('button', { name: 'Sign out' }).click();
    await closed;
    await alice.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await expect.poll(() => databases(alice.page)).not.toContain(database);
    await expect.poll(() => chatKeys(alice.page)).toEqual([]);
    await bob.close();
    expect(unexpectedErrors(alice)).toEqual([]);
    await alice.close();
  });

  it('ends the chat of a device signed out from another one, and keeps the other going', async () => {
    const laptop = await openChatUser(browser, server.baseUrl, 'alice');
    const login = await fetch(`${server.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Phone browser' },
      body: JSON.stringify({ username: laptop.username, password: PASSWORD, deviceName: 'Phone' }),
    });
    const phoneSession = {
      ...((await login.json()) as Omit<StoredSession, 'username'>),
      username: laptop.username,
    };
    const phone = await openPage(browser, server.baseUrl);
    await signInContext(phone.context, phoneSession);
    await phone.page.goto('/chat');
    await waitOnline(phone.page);

    const bob = await scriptClient(server.baseUrl);
    await bob.client.send({ user: laptop.session.userId }, { text: 'to all your devices' });
    for (const page of [laptop.page, phone.page]) {
      await conversationRow(page, bob.session.username).waitFor();
    }

    const devices = await openSettings(laptop.page);
    await expect.poll(() => devices.getByRole('listitem').count()).toBe(2);
    await laptop.page.getByRole('button', { name: 'Sign out all other devices' }).click();
    await laptop.page.getByRole('button', { name: 'Sign out others' }).click();

    // The phone learns it at once, from its socket: sign-in screen, history gone.
    await phone.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    expect(await phone.page.getByText('Your session ended').isVisible()).toBe(true);
    await expect
      .poll(() => databases(phone.page))
      .not.toContain(`switchboard-chat-${laptop.session.userId}`);

    // The laptop chats on.
    await openChatFromNav(laptop.page);
    await conversationRow(laptop.page, bob.session.username).click();
    await message(laptop.page, 'to all your devices').waitFor();

    // Signing out from the header ends it here too.
    await laptop.page.getByRole('button', { name: 'Sign out' }).click();
    await laptop.page.getByRole('banner').getByRole('link', { name: 'Sign in' }).waitFor();
    await expect
      .poll(() => databases(laptop.page))
      .not.toContain(`switchboard-chat-${laptop.session.userId}`);
    await bob.close();
    expect(unexpectedErrors(laptop)).toEqual([]);
    expect(unexpectedErrors(phone)).toEqual([]);
    await laptop.close();
    await phone.close();
  });
});
