import type { JsonValue } from '@switchboard/sdk';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpawnedServer } from '../packages/server/src/test-support/spawn-server.js';
import { launchBrowser, screenshot } from './support/browser.js';
import {
  composer,
  conversationRow,
  message,
  messages,
  openChatUser,
  outboxDrained,
  scriptClient,
  sendMessage,
  startChat,
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

const MARKUP =
  '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold?</b> & &amp;';

describe('What messages may contain', () => {
  it('shows markup in a message, a name or a group name as text, never as HTML', async () => {
    const alice = await openChatUser(browser, server.baseUrl, 'alice');
    const bob = await openChatUser(browser, server.baseUrl, 'bob');
    await startChat(alice.page, bob.username);
    await sendMessage(alice.page, MARKUP);

    await conversationRow(bob.page, alice.username).click();
    const received = message(bob.page, 'bold?');
    await received.waitFor();
    expect(await received.locator('.msg__text').textContent()).toBe(MARKUP);
    expect(await received.locator('img, script, b').count()).toBe(0);
    expect(await conversationRow(bob.page, alice.username).locator('img, b').count()).toBe(0);

    // A group named with markup, created by a script.
    const script = await scriptClient(server.baseUrl);
    const group = await script.client.groups.create('<img src=x onerror="window.__pwned=3">', [
      bob.session.userId,
    ]);
    await script.client.send({ group: group.groupId }, { text: '<i>hi</i>' });
    const row = conversationRow(bob.page, /__pwned=3/);
    await row.click();
    await message(bob.page, '<i>hi</i>').waitFor();
    expect(await bob.page.getByRole('heading', { level: 1 }).textContent()).toBe(
      '<img src=x onerror="window.__pwned=3">',
    );
    expect(await bob.page.locator('main img, main i').count()).toBe(0);

    for (const page of [alice.page, bob.page]) {
      expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    }
    await script.close();
    expect(unexpectedErrors(alice)).toEqual([]);
    expect(unexpectedErrors(bob)).toEqual([]);
    await alice.close();
    await bob.close();
  });

  it('makes http(s) links clickable, safely, and nothing else', async () => {
    const alice = await openChatUser(browser, server.baseUrl, 'alice');
    const bob = await openChatUser(browser, server.baseUrl, 'bob');
    await startChat(alice.page, bob.username);
    const text =
      'Topo: https://example.com/crag?route=5#top, also www.example.org/guide. Not javascript:alert(1) nor data:text/html,hi';
    await sendMessage(alice.page, text);
    await conversationRow(bob.page, alice.username).click();
    const received = message(bob.page, 'Topo:');
    await received.waitFor();
    expect(await received.locator('.msg__text').textContent()).toBe(text);

    const links = received.getByRole('link');
    expect(await links.count()).toBe(2);
    expect(await links.allTextContents()).toEqual([
      'https://example.com/crag?route=5#top',
      'www.example.org/guide',
    ]);
    for (const [index, href] of [
      'https://example.com/crag?route=5#top',
      'https://www.example.org/guide',
    ].entries()) {
      const link = links.nth(index);
      expect(await link.getAttribute('href')).toBe(href);
      expect(await link.getAttribute('target')).toBe('_blank');
      expect(await link.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    }
    expect(await bob.page.locator('a[href^="javascript:"], a[href^="data:"]').count()).toBe(0);
    await alice.close();
    await bob.close();
  });

  it('shows bodies written by other clients gracefully', async () => {
    const bob = await openChatUser(browser, server.baseUrl, 'bob');
    const script = await scriptClient(server.baseUrl);
    const to = { user: bob.session.userId };
    const bodies: JsonValue[] = [
      42,
      'a bare string',
      { type: 'image', url: 'x' },
      { text: 7 },
      null,
    ];
    for (const body of bodies) {
      await script.client.send(to, body);
    }
    await script.client.send(to, { text: 'text with extra fields', v: 2, mentions: [] });
    await outboxDrained(script.client);

    await conversationRow(bob.page, script.session.username).click();
    await message(bob.page, 'text with extra fields').waitFor();
    expect(await messages(bob.page).count()).toBe(6);
    expect(await bob.page.locator('.msg__unsupported').count()).toBe(5);
    expect(await bob.page.locator('.msg__unsupported').first().textContent()).toContain(
      'Unsupported message',
    );
    await script.close();
    expect(unexpectedErrors(bob)).toEqual([]);
    await bob.close();
  });

  it('refuses a message over the size limit before sending it', async () => {
    const alice = await openChatUser(browser, server.baseUrl, 'alice');
    const bob = await openChatUser(browser, server.baseUrl, 'bob');
    await startChat(alice.page, bob.username);
    await composer(alice.page).fill('x'.repeat(70_000));
    await alice.page.getByText('Too long to send').waitFor();
    await composer(alice.page).press('Enter');
    await alice.page.getByRole('alert').getByText('This message is too long to send').waitFor();
    expect(await messages(alice.page).count()).toBe(0);
    await screenshot(alice.page, 'chat-too-long');
    await alice.close();
    await bob.close();
  });
});
