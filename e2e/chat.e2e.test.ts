import type { StoredMessage } from '@switchboard/sdk';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sortKeyOf } from '../packages/sdk/src/model.js';
import type { SpawnedServer } from '../packages/server/src/test-support/spawn-server.js';
import { signUpInBrowser, uniqueUsername } from './support/accounts.js';
import { launchBrowser, openPage, screenshot } from './support/browser.js';
import {
  composer,
  conversationRow,
  message,
  messages,
  openChatFromNav,
  openChatUser,
  sendMessage,
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

describe('Chat between two browsers', () => {
  it('signs up two people who then talk: ticks go from one to two to read, and typing shows', async () => {
    const alice = await openPage(browser, server.baseUrl);
    const bob = await openPage(browser, server.baseUrl);
    const aliceName = uniqueUsername('alice');
    const bobName = uniqueUsername('bob');
    await signUpInBrowser(alice.page, aliceName);
    await signUpInBrowser(bob.page, bobName);

    // Bob has not opened the chat yet: his browser holds no connection.
    await openChatFromNav(alice.page);
    await alice.page.getByText('No chats yet').waitFor();
    await startChat(alice.page, bobName);
    await sendMessage(alice.page, 'Hi Bob! Are you there?');
    const first = message(alice.page, 'Hi Bob! Are you there?');
    await expect.poll(() => ticks(first)).toBe('Sent');
    expect(await composer(alice.page).inputValue()).toBe('');

    // Bob opens the chat: his device takes the message (two ticks) but has not read it.
    await openChatFromNav(bob.page);
    const row = conversationRow(bob.page, aliceName);
    await row.waitFor();
    expect(await row.textContent()).toContain('1 unread message');
    expect(await row.textContent()).toContain('Hi Bob! Are you there?');
    await expect.poll(() => bob.page.title()).toBe('(1) Chats · Switchboard');
    await expect.poll(() => ticks(first)).toBe('Delivered');

    // Opening the conversation reads it: Alice's ticks turn "read".
    await row.click();
    await bob.page.getByRole('heading', { level: 1, name: aliceName }).waitFor();
    await message(bob.page, 'Hi Bob! Are you there?').waitFor();
    await expect.poll(() => ticks(first)).toBe('Read');
    await expect.poll(() => row.textContent()).not.toContain('unread');

    // Bob types: Alice sees it in the conversation header and in her list.
    await composer(bob.page).pressSequentially('Yes, ', { delay: 20 });
    const header = alice.page.locator('.conversation__header');
    await expect.poll(() => header.textContent()).toContain('typing…');
    await expect
      .poll(() => conversationRow(alice.page, bobName).textContent())
      .toContain('typing…');
    await composer(bob.page).pressSequentially('here!', { delay: 20 });
    await composer(bob.page).press('Enter');

    // The reply arrives in Alice's open conversation, which reads it at once.
    await message(alice.page, 'Yes, here!').waitFor();
    await expect.poll(() => header.textContent()).not.toContain('typing…');
    const reply = message(bob.page, 'Yes, here!');
    await expect.poll(() => ticks(reply)).toBe('Read');
    // Both see both messages, in order, mine on the right.
    for (const page of [alice.page, bob.page]) {
      expect(await messages(page).allTextContents()).toEqual([
        expect.stringContaining('Hi Bob! Are you there?'),
        expect.stringContaining('Yes, here!'),
      ]);
    }
    expect(await first.getAttribute('class')).toContain('msg--out');
    expect(await message(bob.page, 'Hi Bob!').getAttribute('class')).toContain('msg--in');
    expect(await alice.page.locator('.log__day-label').allTextContents()).toEqual(['Today']);

    await screenshot(alice.page, 'chat-conversation');
    expect(unexpectedErrors(alice)).toEqual([]);
    expect(unexpectedErrors(bob)).toEqual([]);
    await alice.close();
    await bob.close();
  });

  it('shows a contact online, then when they were last seen', async () => {
    const alice = await openChatUser(browser, server.baseUrl, 'alice');
    const bob = await openChatUser(browser, server.baseUrl, 'bob');
    await startChat(alice.page, bob.username);
    await sendMessage(alice.page, 'ping');
    await conversationRow(bob.page, alice.username).click();
    await message(bob.page, 'ping').waitFor();

    const subtitle = alice.page.locator('.conversation__subtitle');
    await expect.poll(() => subtitle.textContent()).toBe('online');
    await bob.close();
    await expect.poll(() => subtitle.textContent()).toMatch(/^last seen (just now|today at)/);
    expect(unexpectedErrors(alice)).toEqual([]);
    await alice.close();
  });

  it('orders the conversation list by recent activity, with unread counts, live', async () => {
    const alice = await openChatUser(browser, server.baseUrl, 'alice');
    const bob = await openChatUser(browser, server.baseUrl, 'bob');
    const carol = await openChatUser(browser, server.baseUrl, 'carol');

    await startChat(bob.page, alice.username);
    await sendMessage(bob.page, 'from bob, first');
    await message(bob.page, 'from bob, first').waitFor();
    await startChat(carol.page, alice.username);
    await sendMessage(carol.page, 'from carol, one');
    await sendMessage(carol.page, 'from carol, two');

    const rows = alice.page.getByRole('list', { name: 'Conversations' }).getByRole('link');
    await expect.poll(() => rows.count()).toBe(2);
    await expect
      .poll(async () => (await rows.allTextContents()).map((t) => t.replace(/\s+/g, ' ')))
      .toEqual([
        expect.stringMatching(
          new RegExp(`${carol.username}.*from carol, two.*, 2 unread messages`),
        ),
        expect.stringMatching(new RegExp(`${bob.username}.*from bob, first.*, 1 unread message`)),
      ]);

    // Bob writes again: his conversation moves to the top, as it happens.
    await sendMessage(bob.page, 'from bob, again');
    await expect
      .poll(async () => (await rows.first().textContent()) ?? '')
      .toContain('from bob, again');
    expect(await rows.first().textContent()).toContain('2 unread messages');

    // The list filter narrows by name.
    await alice.page.getByRole('searchbox', { name: 'Search chats' }).fill(carol.username);
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(carol.username);

    for (const user of [alice, bob, carol]) {
      expect(unexpectedErrors(user)).toEqual([]);
      await user.close();
    }
  });

  it('groups messages by day, older history included', async () => {
    const alice = await openChatUser(browser, server.baseUrl, 'alice');
    const bob = await openChatUser(browser, server.baseUrl, 'bob');
    await startChat(alice.page, bob.username);
    await sendMessage(alice.page, 'said today');
    await conversationRow(bob.page, alice.username).click();
    await message(bob.page, 'said today').waitFor();

    // What this device kept from earlier days, as the SDK's history store holds it.
    const day = 24 * 60 * 60 * 1000;
    const older = [3, 3, 1].map((daysAgo, index): StoredMessage => {
      const ts = Date.now() - daysAgo * day + index * 60_000;
      const key = `${alice.session.userId}/earlier-${index}`;
      return {
        key,
        id: `earlier-${index}`,
        conversationId: `user:${alice.session.userId}`,
        from: { user: alice.session.userId, device: 'an-old-device' },
        to: { user: bob.session.userId },
        ts,
        body: { text: `said ${daysAgo} days ago (${index})` },
        outgoing: false,
        status: 'read',
        receipts: {},
        localOrder: index,
        sortKey: sortKeyOf(ts, index, key),
      };
    });
    await bob.page.evaluate(
      ({ name, json }) =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open(name);
          open.onerror = () => reject(new Error('open failed'));
          open.onsuccess = () => {
            const tx = open.result.transaction('messages', 'readwrite');
            for (const record of JSON.parse(json) as unknown[])
              tx.objectStore('messages').put(record);
            tx.oncomplete = () => {
              open.result.close();
              resolve();
            };
            tx.onerror = () => reject(new Error('write failed'));
          };
        }),
      // As JSON: the record type is too deep for the typing of `evaluate`'s argument.
      { name: `switchboard-chat-${bob.session.userId}`, json: JSON.stringify(older) },
    );
    await bob.page.reload();
    await message(bob.page, 'said today').waitFor();
    const days = bob.page.locator('.log__day');
    await expect.poll(() => days.count()).toBe(3);
    const labels = await bob.page.locator('.log__day-label').allTextContents();
    expect(labels.slice(1)).toEqual(['Yesterday', 'Today']);
    expect(labels[0]).toMatch(/day$/);
    expect(await days.nth(0).locator('li.msg').count()).toBe(2);
    expect(await days.nth(1).locator('li.msg').allTextContents()).toEqual([
      expect.stringContaining('said 1 days ago'),
    ]);
    expect(await days.nth(2).locator('li.msg').allTextContents()).toEqual([
      expect.stringContaining('said today'),
    ]);
    await alice.close();
    await bob.close();
  });

  it('blocks a contact: messages to them fail with the reason, and go out on retry once unblocked', async () => {
    const alice = await openChatUser(browser, server.baseUrl, 'alice');
    const bob = await openChatUser(browser, server.baseUrl, 'bob');
    await startChat(alice.page, bob.username);
    await sendMessage(alice.page, 'hi');
    await conversationRow(bob.page, alice.username).click();
    await message(bob.page, 'hi').waitFor();

    await bob.page.getByRole('button', { name: 'Contact info' }).click();
    const info = bob.page.getByRole('dialog', { name: 'Contact info' });
    await info.getByRole('button', { name: `Block ${alice.username}` }).click();
    await info.getByRole('button', { name: `Unblock ${alice.username}` }).waitFor();
    await bob.page.keyboard.press('Escape');

    await sendMessage(alice.page, 'are you ignoring me?');
    const refused = message(alice.page, 'are you ignoring me?');
    await expect.poll(() => ticks(refused)).toBe('Not sent');
    expect(await refused.textContent()).toContain('This person can’t receive your messages.');
    await screenshot(alice.page, 'chat-not-sent');

    await bob.page.getByRole('button', { name: 'Contact info' }).click();
    await info.getByRole('button', { name: `Unblock ${alice.username}` }).click();
    await info.getByRole('button', { name: `Block ${alice.username}` }).waitFor();
    await bob.page.keyboard.press('Escape');

    await refused.getByRole('button', { name: 'Retry' }).click();
    await message(bob.page, 'are you ignoring me?').waitFor();
    await expect.poll(() => ticks(refused)).toBe('Read');
    expect(await refused.getByRole('button', { name: 'Retry' }).count()).toBe(0);

    // An address that names nobody says so instead of offering to write.
    await alice.page.goto('/chat/user/nobody-has-this-id');
    await alice.page.getByText('There is no account at this address').waitFor();
    expect(await composer(alice.page).count()).toBe(0);
    expect(unexpectedErrors(alice)).toEqual([]);
    expect(unexpectedErrors(bob)).toEqual([]);
    await alice.close();
    await bob.close();
  });
});
