import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpawnedServer } from '../packages/server/src/test-support/spawn-server.js';
import { PASSWORD } from './support/accounts.js';
import { launchBrowser } from './support/browser.js';
import {
  clickLastNotification,
  conversationRow,
  emulateAttention,
  message,
  notificationLog,
  openChatUser,
  recordNotifications,
  scriptClient,
  sendMessage,
  settle,
  startChat,
  ticks,
  unexpectedErrors,
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

describe('Chat and the user’s attention', () => {
  it('sends read receipts only for messages seen in a visible, focused tab', async () => {
    const alice = await openChatUser(browser, server.baseUrl, 'alice');
    const bob = await openChatUser(browser, server.baseUrl, 'bob');
    await startChat(alice.page, bob.username);
    await sendMessage(alice.page, 'hello');
    await conversationRow(bob.page, alice.username).click();
    await expect.poll(() => ticks(message(alice.page, 'hello'))).toBe('Read');

    // Bob's tab goes to the background with the conversation open.
    await emulateAttention(bob.page, { visible: false, focused: false });
    await sendMessage(alice.page, 'are you looking?');
    const looking = message(alice.page, 'are you looking?');
    const received = message(bob.page, 'are you looking?');
    await received.waitFor();
    await expect.poll(() => ticks(looking)).toBe('Delivered');
    await settle(bob.page);
    expect(await received.getAttribute('data-unread')).toBe('true');
    expect(await ticks(looking)).toBe('Delivered');

    // Visible, but another window has the focus: still not read.
    await emulateAttention(bob.page, { visible: true, focused: false });
    await settle(bob.page);
    expect(await received.getAttribute('data-unread')).toBe('true');
    expect(await ticks(looking)).toBe('Delivered');
    expect(await conversationRow(bob.page, alice.username).textContent()).toContain(
      '1 unread message',
    );

    // Bob comes back to the tab: now it is read, and Alice sees so.
    await emulateAttention(bob.page, { visible: true, focused: true });
    await expect.poll(() => ticks(looking)).toBe('Read');
    expect(await received.getAttribute('data-unread')).toBeNull();
    expect(unexpectedErrors(alice)).toEqual([]);
    expect(unexpectedErrors(bob)).toEqual([]);
    await alice.close();
    await bob.close();
  });

  it('shows desktop notifications in the background once allowed, never for what is in view', async () => {
    const alice = await openChatUser(browser, server.baseUrl, 'alice');
    const bob = await openChatUser(browser, server.baseUrl, 'bob', {}, recordNotifications);
    const bell = bob.page.getByRole('button', { name: 'Desktop notifications' });

    // Not asked on load, and nothing shown before the user allows it.
    await startChat(alice.page, bob.username);
    await emulateAttention(bob.page, { visible: false, focused: false });
    await sendMessage(alice.page, 'before you allowed anything');
    await conversationRow(bob.page, alice.username).waitFor();
    await settle(bob.page);
    expect(await notificationLog(bob.page)).toEqual({ requests: 0, shown: [] });
    expect(await bell.getAttribute('aria-pressed')).toBe('false');

    // The user turns them on: the browser asks now, from the click.
    await emulateAttention(bob.page, { visible: true, focused: true });
    await bell.click();
    await expect.poll(() => bell.getAttribute('aria-pressed')).toBe('true');
    expect((await notificationLog(bob.page)).requests).toBe(1);

    await conversationRow(bob.page, alice.username).click();
    await message(bob.page, 'before you allowed anything').waitFor();

    // In the background: a notification, named after the sender, with the text.
    await emulateAttention(bob.page, { visible: false, focused: false });
    await sendMessage(alice.page, 'knock knock');
    await expect
      .poll(async () => (await notificationLog(bob.page)).shown)
      .toEqual([
        { title: alice.username, body: 'knock knock', tag: `user:${alice.session.userId}` },
      ]);

    // The conversation in view in a visible tab: nothing, focused or not.
    await emulateAttention(bob.page, { visible: true, focused: true });
    await sendMessage(alice.page, 'seen as it comes');
    await message(bob.page, 'seen as it comes').waitFor();
    await emulateAttention(bob.page, { visible: true, focused: false });
    await sendMessage(alice.page, 'still in view');
    await message(bob.page, 'still in view').waitFor();
    await settle(bob.page);
    expect((await notificationLog(bob.page)).shown).toHaveLength(1);

    // Bob's own message, sent from his other device, is never announced to him.
    const login = await fetch(`${server.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: bob.username, password: PASSWORD }),
    });
    const phone = await scriptClient(server.baseUrl, {
      ...((await login.json()) as { token: string; userId: string; deviceId: string }),
      username: bob.username,
    });
    await emulateAttention(bob.page, { visible: false, focused: false });
    await phone.client.send({ user: alice.session.userId }, { text: 'from my phone' });
    await message(bob.page, 'from my phone').waitFor();
    await settle(bob.page);
    expect((await notificationLog(bob.page)).shown).toHaveLength(1);

    // Someone else, while Bob looks at another window: notified; a click opens the chat.
    const carol = await scriptClient(server.baseUrl);
    await carol.client.send({ user: bob.session.userId }, { text: 'hi from carol' });
    await expect
      .poll(async () => (await notificationLog(bob.page)).shown.at(-1))
      .toEqual({
        title: carol.session.username,
        body: 'hi from carol',
        tag: `user:${carol.session.userId}`,
      });
    await clickLastNotification(bob.page);
    await bob.page.getByRole('heading', { level: 1, name: carol.session.username }).waitFor();
    expect(new URL(bob.page.url()).pathname).toBe(`/chat/user/${carol.session.userId}`);

    // Switched off in the app: nothing more, though the browser still allows it.
    await emulateAttention(bob.page, { visible: true, focused: true });
    await bell.click();
    await expect.poll(() => bell.getAttribute('aria-pressed')).toBe('false');
    await emulateAttention(bob.page, { visible: false, focused: false });
    await carol.client.send({ user: bob.session.userId }, { text: 'are notifications off?' });
    await message(bob.page, 'are notifications off?').waitFor();
    await settle(bob.page);
    expect((await notificationLog(bob.page)).shown).toHaveLength(2);

    await Promise.all([phone.close(), carol.close()]);
    expect(unexpectedErrors(bob)).toEqual([]);
    await alice.close();
    await bob.close();
  });
});
