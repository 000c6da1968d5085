import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpawnedServer } from '../packages/server/src/test-support/spawn-server.js';
import { launchBrowser, screenshot } from './support/browser.js';
import {
  conversationRow,
  message,
  messages,
  openChatUser,
  outboxDrained,
  scriptClient,
  sendMessage,
  settle,
  startChat,
  ticks,
  unexpectedErrors,
  waitOnline,
  type ChatUser,
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

/** Two users with a conversation open on both sides. */
async function pair(): Promise<[ChatUser, ChatUser]> {
  const alice = await openChatUser(browser, server.baseUrl, 'alice');
  const bob = await openChatUser(browser, server.baseUrl, 'bob');
  await startChat(alice.page, bob.username);
  await sendMessage(alice.page, 'first, while both are online');
  await conversationRow(bob.page, alice.username).click();
  await message(bob.page, 'first, while both are online').waitFor();
  return [alice, bob];
}

const banner = (user: ChatUser) => user.page.locator('.chat-banner-region');

describe('Chat without a network', () => {
  it('delivers what was sent to someone offline once they are back', async () => {
    const [alice, bob] = await pair();

    await bob.context.setOffline(true);
    await expect.poll(() => banner(bob).textContent()).toContain('You’re offline');
    await bob.page.locator('.chat[data-connection="offline"]').waitFor();

    await sendMessage(alice.page, 'sent while you were away');
    const away = message(alice.page, 'sent while you were away');
    // The server has it; Bob's device does not: one tick.
    await expect.poll(() => ticks(away)).toBe('Sent');
    await settle(bob.page);
    expect(await message(bob.page, 'sent while you were away').count()).toBe(0);

    await bob.context.setOffline(false);
    await message(bob.page, 'sent while you were away').waitFor();
    await expect.poll(() => banner(bob).textContent()).toContain('Back online');
    await expect.poll(() => ticks(away)).toBe('Read');
    expect(unexpectedErrors(alice)).toEqual([]);
    expect(unexpectedErrors(bob)).toEqual([]);
    await alice.close();
    await bob.close();
  });

  it('keeps a message written offline in the outbox, with a clock, and sends it on reconnect', async () => {
    const [alice, bob] = await pair();

    await bob.context.setOffline(true);
    await expect.poll(() => banner(bob).textContent()).toContain('You’re offline');
    await sendMessage(bob.page, 'written in the tunnel');
    const tunnel = message(bob.page, 'written in the tunnel');
    await expect.poll(() => ticks(tunnel)).toBe('Sending');
    await expect.poll(() => banner(bob).textContent()).toContain('1 message is waiting to be sent');
    await screenshot(bob.page, 'chat-offline');
    await settle(alice.page);
    expect(await message(alice.page, 'written in the tunnel').count()).toBe(0);

    await bob.context.setOffline(false);
    await message(alice.page, 'written in the tunnel').waitFor();
    await expect.poll(() => ticks(tunnel)).toBe('Read');
    expect(unexpectedErrors(alice)).toEqual([]);
    await alice.close();
    await bob.close();
  });

  it('keeps history, and the outbox, across a reload', async () => {
    const [alice, bob] = await pair();
    await sendMessage(bob.page, 'a reply that Alice reads');
    await expect.poll(() => ticks(message(bob.page, 'a reply that Alice reads'))).toBe('Read');

    // The server forgets what was delivered: after a reload, the history is the browser's own.
    await bob.page.reload();
    await bob.page.getByRole('heading', { level: 1, name: alice.username }).waitFor();
    await message(bob.page, 'first, while both are online').waitFor();
    await message(bob.page, 'a reply that Alice reads').waitFor();

    // No way to the server (the socket is refused): a message waits in the outbox...
    let refuse = true;
    await bob.context.routeWebSocket(/\/ws$/, (socket) => {
      if (refuse) void socket.close({ code: 1011 });
      else socket.connectToServer();
    });
    await bob.page.reload();
    await expect.poll(() => banner(bob).textContent()).toContain('Reconnecting');
    await sendMessage(bob.page, 'queued before a reload');
    await expect.poll(() => ticks(message(bob.page, 'queued before a reload'))).toBe('Sending');
    // ...and is still there, still waiting, after a reload.
    await bob.page.reload();
    await expect.poll(() => ticks(message(bob.page, 'queued before a reload'))).toBe('Sending');
    refuse = false;
    await bob.page.getByRole('button', { name: 'Try now' }).click();
    await waitOnline(bob.page);
    await message(alice.page, 'queued before a reload').waitFor();
    await expect.poll(() => ticks(message(bob.page, 'queued before a reload'))).toBe('Read');
    expect(unexpectedErrors(alice)).toEqual([]);
    await alice.close();
    await bob.close();
  });

  it('scrolls back through the local history page by page', async () => {
    const bob = await openChatUser(browser, server.baseUrl, 'bob');
    const script = await scriptClient(server.baseUrl);
    for (let i = 1; i <= 130; i += 1) {
      await script.client.send({ user: bob.session.userId }, { text: `number ${i}.` });
    }
    await outboxDrained(script.client);

    const row = conversationRow(bob.page, script.session.username);
    await expect.poll(() => row.textContent()).toContain('130 unread messages');
    await row.click();
    // It opens at the first unread message; what scrolls into view is read.
    await message(bob.page, 'number 1.').waitFor();
    expect(await bob.page.locator('.log__unread').textContent()).toBe('130 unread messages');
    const log = bob.page.getByRole('region', { name: 'Messages' });
    await expect
      .poll(async () => {
        await log.evaluate((el) => el.scrollTo(0, el.scrollHeight));
        return bob.page.locator('.conversation-row__unread').count();
      })
      .toBe(0);

    // A reload opens the conversation at its newest page...
    await bob.page.reload();
    await message(bob.page, 'number 130.').waitFor();
    expect(await messages(bob.page).count()).toBe(50);
    expect(await message(bob.page, 'number 80.').count()).toBe(0);
    // ...and scrolling up brings the rest, down to the start.
    await expect
      .poll(async () => {
        await log.evaluate((el) => el.scrollTo(0, 0));
        return messages(bob.page).count();
      })
      .toBe(130);
    await bob.page.getByText('Messages are kept on your devices').waitFor();
    const texts = await messages(bob.page).allTextContents();
    expect(texts[0]).toContain('number 1.');
    expect(texts.at(-1)).toContain('number 130.');
    await script.close();
    expect(unexpectedErrors(bob)).toEqual([]);
    await bob.close();
  });

  it('runs in one tab at a time, and lets the user move it', async () => {
    const alice = await openChatUser(browser, server.baseUrl, 'alice');
    const second = await alice.context.newPage();
    await second.goto('/chat');
    await second.getByText('Chat is open in another tab or window').waitFor();
    await second.locator('.chat[data-connection="elsewhere"]').waitFor();
    await waitOnline(alice.page);

    await second.getByRole('button', { name: 'Use here' }).click();
    await waitOnline(second);
    await alice.page.getByText('Chat is open in another tab or window').waitFor();

    // Closing the tab that has it hands it back to the one still open.
    await second.close();
    await waitOnline(alice.page);
    expect(unexpectedErrors(alice)).toEqual([]);
    await alice.close();
  });
});
