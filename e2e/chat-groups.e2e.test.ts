import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpawnedServer } from '../packages/server/src/test-support/spawn-server.js';
import { launchBrowser, screenshot } from './support/browser.js';
import {
  composer,
  conversationRow,
  message,
  openChatUser,
  sendMessage,
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

/** The group lines ("Alice added Carol") of the open conversation. */
const notes = (page: Page) => page.locator('.log__note').allTextContents();

/** The names above messages in the open conversation. */
const senders = (page: Page) => page.locator('.msg__sender').allTextContents();

async function openGroupInfo(page: Page) {
  await page.getByRole('button', { name: 'Group info' }).click();
  const dialog = page.getByRole('dialog', { name: 'Group info' });
  await dialog.getByRole('list', { name: 'Members' }).waitFor();
  return dialog;
}

describe('Group chat in the browser', () => {
  it('creates a group, adds and removes members, and one leaves; names show on messages', async () => {
    const alice = await openChatUser(browser, server.baseUrl, 'alice');
    const bob = await openChatUser(browser, server.baseUrl, 'bob');
    const carol = await openChatUser(browser, server.baseUrl, 'carol');

    // Alice creates "Climbing" with Bob.
    await alice.page.getByRole('button', { name: 'New group' }).click();
    const create = alice.page.getByRole('dialog', { name: 'New group' });
    await create.getByLabel('Group name').fill('Climbing');
    await create.getByLabel('Add people by username').fill('nobody_here_at_all');
    await create.getByRole('button', { name: 'Add', exact: true }).click();
    await create.getByText('There is no account named “nobody_here_at_all”').waitFor();
    await create.getByLabel('Add people by username').fill(bob.username);
    await create.getByLabel('Add people by username').press('Enter');
    await create
      .getByRole('list', { name: 'People in the new group' })
      .getByText(bob.username)
      .waitFor();
    await screenshot(alice.page, 'chat-new-group');
    await create.getByRole('button', { name: 'Create group' }).click();
    await alice.page.getByRole('heading', { level: 1, name: 'Climbing' }).waitFor();
    await sendMessage(alice.page, 'Welcome to Climbing!');

    await conversationRow(bob.page, /Climbing/).click();
    await message(bob.page, 'Welcome to Climbing!').waitFor();
    expect(await senders(bob.page)).toEqual([alice.username]);
    await expect
      .poll(() => notes(bob.page))
      .toEqual([`${alice.username} created the group “Climbing”`]);

    // Alice adds Carol, who sees the group (named, though her event carries no name).
    let info = await openGroupInfo(alice.page);
    await info.getByLabel('Add a member by username').fill(carol.username);
    await info.getByRole('button', { name: 'Add member' }).click();
    await expect
      .poll(() => info.getByRole('list', { name: 'Members' }).getByRole('listitem').count())
      .toBe(3);
    await screenshot(alice.page, 'chat-group-info');
    await alice.page.keyboard.press('Escape');
    await info.waitFor({ state: 'detached' });

    await conversationRow(carol.page, /Climbing/).click();
    await carol.page.getByRole('heading', { level: 1, name: 'Climbing' }).waitFor();
    await sendMessage(carol.page, 'Hi all, Carol here');
    await sendMessage(bob.page, 'Bob here too');

    for (const page of [alice.page, bob.page, carol.page]) {
      await message(page, 'Bob here too').waitFor();
    }
    await message(alice.page, 'Carol here').waitFor();
    await message(bob.page, 'Carol here').waitFor();
    expect(await senders(alice.page)).toEqual([carol.username, bob.username]);
    expect(await senders(bob.page)).toEqual([alice.username, carol.username]);
    expect(await senders(carol.page)).toEqual([bob.username]);

    // A message to all three: two ticks mean everyone has it, blue ticks that all read it.
    await sendMessage(alice.page, 'Saturday at 10?');
    const saturday = message(alice.page, 'Saturday at 10?');
    await expect.poll(() => ticks(saturday)).toBe('Read by everyone');
    await expect
      .poll(() => notes(alice.page))
      .toEqual(['You created the group “Climbing”', `You added ${carol.username}`]);

    // Alice removes Bob: his conversation stays, read-only.
    info = await openGroupInfo(alice.page);
    await info.getByRole('button', { name: `Remove ${bob.username}` }).click();
    await expect
      .poll(() => info.getByRole('list', { name: 'Members' }).getByRole('listitem').count())
      .toBe(2);
    await alice.page.keyboard.press('Escape');
    await bob.page.getByText('You are no longer a member of this group').first().waitFor();
    expect(await composer(bob.page).count()).toBe(0);
    await expect.poll(() => notes(bob.page)).toContain(`${alice.username} removed you`);

    // Carol leaves.
    info = await openGroupInfo(carol.page);
    await info.getByRole('button', { name: 'Leave group' }).click();
    await info.getByRole('button', { name: 'Leave', exact: true }).click();
    await info.waitFor({ state: 'detached' });
    await carol.page.getByText('You are no longer a member of this group').first().waitFor();
    expect(await composer(carol.page).count()).toBe(0);

    await expect
      .poll(() => notes(alice.page))
      .toEqual([
        'You created the group “Climbing”',
        `You added ${carol.username}`,
        `You removed ${bob.username}`,
        `${carol.username} left`,
      ]);
    info = await openGroupInfo(alice.page);
    expect(await info.getByRole('list', { name: 'Members' }).getByRole('listitem').count()).toBe(1);
    expect(await alice.page.locator('.conversation__subtitle').textContent()).toBe('You');
    await alice.page.keyboard.press('Escape');
    await screenshot(alice.page, 'chat-group');

    for (const user of [alice, bob, carol]) {
      expect(unexpectedErrors(user)).toEqual([]);
      await user.close();
    }
  });
});
