import { SwitchboardClient } from '@switchboard/sdk/node';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpawnedServer } from '../packages/server/src/test-support/spawn-server.js';
import { PASSWORD, registerByApi, signInContext, type StoredSession } from './support/accounts.js';
import { accessibilityFailures } from './support/axe.js';
import { launchBrowser, openPage, PHONE, screenshot, type TestPage } from './support/browser.js';
import {
  composer,
  conversationRow,
  message,
  messages,
  outboxDrained,
  unexpectedErrors,
  waitOnline,
} from './support/chat.js';
import { startServer } from './support/server.js';

let server: SpawnedServer;
let browser: Browser;
/** The people of the screenshots: this file's server is fresh, so names can be plain. */
let alice: StoredSession;
let bob: SwitchboardClient;
let carol: SwitchboardClient;
let aliceElsewhere: SwitchboardClient;
let groupId: string;

async function person(username: string, displayName?: string): Promise<StoredSession> {
  const session = await registerByApi(server.baseUrl, username);
  if (displayName !== undefined) {
    const answer = await fetch(`${server.baseUrl}/api/me`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
      body: JSON.stringify({ displayName }),
    });
    expect(answer.status).toBe(200);
  }
  return session;
}

async function connect(session: StoredSession): Promise<SwitchboardClient> {
  const client = new SwitchboardClient({ url: server.baseUrl, session });
  await client.connect();
  return client;
}

/** A new device of Alice's (a fresh browser profile has its own inbox from now on). */
async function aliceDevice(): Promise<StoredSession> {
  const answer = await fetch(`${server.baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: alice.username, password: PASSWORD }),
  });
  expect(answer.status).toBe(200);
  return {
    ...((await answer.json()) as Omit<StoredSession, 'username'>),
    username: alice.username,
  };
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  alice = await person('alice', 'Alice Martin');
  const [bobSession, carolSession] = await Promise.all([
    person('bob', 'Bob Okafor'),
    person('carol', 'Carol Díaz'),
  ]);
  [bob, carol, aliceElsewhere] = await Promise.all([
    connect(bobSession),
    connect(carolSession),
    connect(await aliceDevice()),
  ]);
  const group = await carol.groups.create('Weekend climb', [alice.userId, bobSession.userId]);
  groupId = group.groupId;
  // Whoever gets a message reads it at once, so that Alice's ticks show "read".
  for (const client of [bob, carol]) {
    client.on('message', (m) => void client.markRead(m.conversationId));
  }
});

afterAll(async () => {
  await Promise.all([bob?.close(), carol?.close(), aliceElsewhere?.close()]);
  await browser?.close();
  await server?.stop();
});

/**
 * A conversation worth looking at, sent to every device of Alice's, the one in the
 * browser included: a 1:1 with Bob (some of it written from Alice's other device) and
 * the group.
 */
async function playScene(): Promise<void> {
  const toAlice = { user: alice.userId };
  const toBob = { user: bob.userId };
  const group = { group: groupId };
  await bob.send(toAlice, { text: 'Are we still on for Saturday?' });
  await outboxDrained(bob);
  await aliceElsewhere.send(toBob, { text: 'Yes! Meeting at the crag at 9.' });
  await outboxDrained(aliceElsewhere);
  await bob.send(toAlice, {
    text: 'Great, I’ll bring the rope.\nRoute topo: https://example.com/topo/north-face',
  });
  await carol.send(group, { text: 'Forecast says sunny all weekend' });
  await outboxDrained(carol);
  await bob.send(group, { text: 'Perfect. Who drives?' });
  await outboxDrained(bob);
  await carol.send(group, { text: 'I can take three people.' });
  await outboxDrained(carol);
}

/** Alice in a new browser profile, on the chat, with the scene delivered. */
async function aliceInBrowser(options: BrowserContextOptions = {}): Promise<TestPage> {
  const device = await aliceDevice();
  const user = await openPage(browser, server.baseUrl, options);
  await signInContext(user.context, device);
  await user.page.goto('/chat');
  await waitOnline(user.page);
  await user.page.getByText('No chats yet').waitFor();
  expect(await accessibilityFailures(user.page)).toBe('');
  await playScene();
  await conversationRow(user.page, /^Weekend climb/).waitFor();
  await conversationRow(user.page, /^Bob Okafor/).waitFor();
  return user;
}

async function expectAccessible(page: Page): Promise<void> {
  expect(await accessibilityFailures(page)).toBe('');
}

describe('Chat screens for everyone', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`passes axe on every chat screen (${scheme})`, async () => {
      const user = await aliceInBrowser({ colorScheme: scheme });
      const { page } = user;
      await expectAccessible(page);
      await screenshot(page, `chat-list-${scheme}`);

      await conversationRow(page, /^Bob Okafor/).click();
      await message(page, 'Route topo').waitFor();
      await message(page, 'Meeting at the crag').locator('.ticks[aria-label="Read"]').waitFor();
      await expectAccessible(page);
      await screenshot(page, `chat-conversation-${scheme}`);
      await page.getByRole('button', { name: 'Contact info' }).click();
      await page
        .getByRole('dialog', { name: 'Contact info' })
        .getByRole('button', { name: 'Block Bob Okafor' })
        .waitFor();
      await expectAccessible(page);
      await page.keyboard.press('Escape');

      await conversationRow(page, /^Weekend climb/).click();
      await message(page, 'I can take three people').waitFor();
      await composer(page).fill('Count me in');
      await composer(page).press('Enter');
      await message(page, 'Count me in').locator('.ticks[aria-label="Read by everyone"]').waitFor();
      await expectAccessible(page);
      await screenshot(page, `chat-group-${scheme}`);

      await page.getByRole('button', { name: 'Group info' }).click();
      await page
        .getByRole('dialog', { name: 'Group info' })
        .getByRole('list', { name: 'Members' })
        .waitFor();
      await expectAccessible(page);
      await screenshot(page, `chat-group-info-${scheme}`);
      await page.keyboard.press('Escape');

      for (const name of ['New chat', 'New group']) {
        await page.getByRole('button', { name }).click();
        await page.getByRole('dialog', { name }).waitFor();
        await expectAccessible(page);
        await page.keyboard.press('Escape');
        await page.getByRole('dialog').waitFor({ state: 'detached' });
      }

      await user.context.setOffline(true);
      await page.locator('.chat-banner[data-state="offline"]').waitFor();
      await expectAccessible(page);
      await user.context.setOffline(false);
      await waitOnline(page);

      expect(unexpectedErrors(user)).toEqual([]);
      await user.close();
    });
  }

  it('works on a 360 px phone: the list, then the conversation with a back button', async () => {
    const user = await aliceInBrowser(PHONE);
    const { page } = user;
    const list = page.getByRole('list', { name: 'Conversations' });
    await expectAccessible(page);
    await screenshot(page, 'chat-phone-list');

    await conversationRow(page, /^Bob Okafor/).click();
    await page.getByRole('heading', { level: 1, name: 'Bob Okafor' }).waitFor();
    expect(await list.isVisible()).toBe(false);
    // Nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      360,
    );
    await composer(page).fill('On my way, see you there');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect
      .poll(() => message(page, 'On my way').locator('.ticks').getAttribute('aria-label'))
      .toBe('Read');
    await expectAccessible(page);
    await screenshot(page, 'chat-phone');

    await page.getByRole('link', { name: 'Back to chats' }).click();
    await list.waitFor();
    expect(await page.getByRole('region', { name: 'Messages' }).count()).toBe(0);
    expect(unexpectedErrors(user)).toEqual([]);
    await user.close();
  });

  it('is usable with the keyboard alone, in a sensible order', async () => {
    const user = await aliceInBrowser();
    const { page } = user;
    // Tab through the page from the top and note what gets the focus.
    const order: string[] = [];
    await page.locator('body').focus();
    for (let i = 0; i < 14; i += 1) {
      await page.keyboard.press('Tab');
      order.push(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLInputElement | null;
          if (el === null) return '';
          const label = el.getAttribute('aria-label') ?? el.labels?.[0]?.textContent ?? null;
          return (label ?? el.textContent ?? '').trim().split(/\s+/).slice(0, 2).join(' ');
        }),
      );
    }
    const at = (name: string) => order.findIndex((entry) => entry.startsWith(name));
    expect(at('Chat')).toBeGreaterThan(-1);
    expect(at('Desktop notifications')).toBeGreaterThan(at('Chat'));
    expect(at('New group')).toBe(at('Desktop notifications') + 1);
    expect(at('New chat')).toBe(at('New group') + 1);
    expect(at('Search chats')).toBe(at('New chat') + 1);
    expect(order[at('Search chats') + 1]).toMatch(/^[BW]/);

    // New chat from the keyboard: Escape closes the dialog and gives the focus back.
    await page.getByRole('button', { name: 'New chat' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New chat' });
    await dialog.waitFor();
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('INPUT');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
      'New chat',
    );

    // Typed the moment the dialog shows, the name lands in the field, not on its close
    // button (the field used to get the focus a frame later, and the keys were lost).
    // Frames are slow for a moment here (a busy machine), which must not matter.
    await page.evaluate(() => {
      const frame = window.requestAnimationFrame.bind(window);
      Object.assign(window, { restoreFrames: () => (window.requestAnimationFrame = frame) });
      window.requestAnimationFrame = (callback) =>
        window.setTimeout(() => callback(performance.now()), 300);
    });
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.type('carol');
    expect(await page.getByRole('textbox', { name: 'Username' }).inputValue()).toBe('carol');
    await page.evaluate(() => (window as unknown as { restoreFrames: () => void }).restoreFrames());
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Carol Díaz' }).waitFor();
    // The conversation opens ready to type; Shift+Enter is a new line, Enter sends.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('Message Carol Díaz');
    await page.keyboard.type('First line');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    await page.keyboard.press('Enter');
    const sent = message(page, 'First line');
    await sent.waitFor();
    expect(await sent.locator('.msg__text').textContent()).toBe('First line\nsecond line');
    expect(await composer(page).inputValue()).toBe('');
    expect(await messages(page).count()).toBe(1);

    // The log can be reached and scrolled from the keyboard.
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
      'Messages',
    );
    expect(unexpectedErrors(user)).toEqual([]);
    await user.close();
  });
});
