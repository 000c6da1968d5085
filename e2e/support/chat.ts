import { SwitchboardClient } from '@switchboard/sdk/node';
import type {
  Browser,
  BrowserContext,
  BrowserContextOptions,
  Locator,
  Page,
} from 'playwright-core';
import { registerByApi, signInContext, uniqueUsername, type StoredSession } from './accounts.js';
import { openPage, type TestPage } from './browser.js';

/** A person in a chat test: their account and their browser profile. */
export interface ChatUser extends TestPage {
  readonly session: StoredSession;
  readonly username: string;
}

/**
 * Browser messages that are expected when a test takes the network away or closes a
 * socket on purpose: the browser logs every WebSocket that could not connect.
 */
export const EXPECTED_CONSOLE = [/WebSocket connection to .* failed/, /WebSocket is closed before/];

/** The page errors of a chat user that are not expected ones. */
export function unexpectedErrors(user: TestPage): string[] {
  return user.errors.filter((e) => !EXPECTED_CONSOLE.some((pattern) => pattern.test(e)));
}

/**
 * Registers a user through the API and opens a browser profile signed in as them, on
 * the chat screen, connected. `prepare` runs before the first page loads (init scripts,
 * permissions).
 */
export async function openChatUser(
  browser: Browser,
  baseUrl: string,
  prefix: string,
  options: BrowserContextOptions = {},
  prepare?: (context: BrowserContext) => Promise<void>,
): Promise<ChatUser> {
  const session = await registerByApi(baseUrl, uniqueUsername(prefix));
  const page = await openPage(browser, baseUrl, options);
  await signInContext(page.context, session);
  await prepare?.(page.context);
  await page.page.goto('/chat');
  await waitOnline(page.page);
  return { ...page, session, username: session.username };
}

/** Waits until the chat says it is connected. */
export async function waitOnline(page: Page): Promise<void> {
  await page.locator('.chat[data-connection="online"]').waitFor();
}

/** Opens a 1:1 conversation through "New chat". */
export async function startChat(page: Page, username: string): Promise<void> {
  await page.getByRole('button', { name: 'New chat' }).click();
  const dialog = page.getByRole('dialog', { name: 'New chat' });
  await dialog.getByLabel('Username').fill(username);
  await dialog.getByRole('button', { name: 'Start chat' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('heading', { level: 1, name: username }).waitFor();
}

/** The composer of the open conversation. */
export function composer(page: Page): Locator {
  return page.getByRole('textbox', { name: /^Message / });
}

/** Types a message in the open conversation and sends it with Enter. */
export async function sendMessage(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/** The messages of the open conversation. */
export function messages(page: Page): Locator {
  return page.getByRole('region', { name: 'Messages' }).locator('li.msg');
}

/** The message of the open conversation whose text contains `text`. */
export function message(page: Page, text: string): Locator {
  return messages(page).filter({ hasText: text });
}

/** What the ticks of one of my messages say (their text alternative). */
export function ticks(item: Locator): Promise<string | null> {
  return item.locator('.ticks').getAttribute('aria-label');
}

/**
 * A row of the conversation list, by its title: a string is the start of the row's name
 * (a group's row may quote a member's name in its last message).
 */
export function conversationRow(page: Page, title: string | RegExp): Locator {
  const name =
    typeof title === 'string'
      ? new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)
      : title;
  return page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name });
}

/**
 * Makes the page look hidden or visible, focused or not, as a background tab or another
 * window would: the properties the app reads, and the events it listens to.
 */
export async function emulateAttention(
  page: Page,
  state: { visible: boolean; focused: boolean },
): Promise<void> {
  await page.evaluate(({ visible, focused }) => {
    Object.defineProperty(document, 'visibilityState', {
      configurable: true,
      get: () => (visible ? 'visible' : 'hidden'),
    });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => !visible });
    document.hasFocus = () => focused;
    document.dispatchEvent(new Event('visibilitychange'));
    window.dispatchEvent(new Event(focused ? 'focus' : 'blur'));
  }, state);
}

/** Resolves after the page has drawn two more frames (observers and effects have run). */
export async function settle(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) =>
        requestAnimationFrame(() => requestAnimationFrame(() => resolve())),
      ),
  );
}

/** Opens the chat screen through the header's navigation. */
export async function openChatFromNav(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chat' }).click();
  await page.getByRole('heading', { level: 1, name: 'Chats' }).waitFor();
  await waitOnline(page);
}

/**
 * Another client of the same server, as a script or the CLI would be: the SDK in Node,
 * signed in as `session` (a fresh account by default). Close it with `close()`.
 */
export async function scriptClient(
  baseUrl: string,
  session?: StoredSession,
): Promise<{ client: SwitchboardClient; session: StoredSession; close: () => Promise<void> }> {
  const account = session ?? (await registerByApi(baseUrl, uniqueUsername('script')));
  const client = new SwitchboardClient({
    url: baseUrl,
    session: { token: account.token, userId: account.userId, deviceId: account.deviceId },
  });
  await client.connect();
  return { client, session: account, close: () => client.close() };
}

/** Resolves once every message `client` sent has been stored by the server. */
export async function outboxDrained(client: SwitchboardClient): Promise<void> {
  while ((await client.outbox()).length > 0) {
    // A status change, or a look again shortly (one may land between check and wait).
    await Promise.race([client.next('status'), new Promise((resolve) => setTimeout(resolve, 100))]);
  }
}

/** What the stubbed Notifications API saw: permission requests and notifications. */
export interface NotificationLog {
  readonly requests: number;
  readonly shown: { title: string; body: string; tag: string }[];
}

/**
 * Replaces `window.Notification` with a recorder before the app loads (headless
 * Chromium shows no notifications), starting with the permission not yet asked, and
 * grants the real permission to the context as a user would.
 */
export async function recordNotifications(context: BrowserContext): Promise<void> {
  await context.grantPermissions(['notifications']);
  await context.addInitScript(() => {
    const log = { requests: 0, shown: [] as unknown[], instances: [] as unknown[] };
    class RecordingNotification {
      static permission: NotificationPermission = 'default';
      static requestPermission(): Promise<NotificationPermission> {
        log.requests += 1;
        RecordingNotification.permission = 'granted';
        return Promise.resolve('granted');
      }
      onclick: (() => void) | null = null;
      onclose: (() => void) | null = null;
      constructor(title: string, options: NotificationOptions = {}) {
        log.shown.push({ title, body: options.body ?? '', tag: options.tag ?? '' });
        log.instances.push(this);
      }
      close(): void {
        this.onclose?.();
      }
    }
    Object.defineProperty(window, 'Notification', {
      value: RecordingNotification,
      configurable: true,
      writable: true,
    });
    Object.defineProperty(window, '__notifications', { value: log });
  });
}

/** The notifications a page has shown so far. */
export function notificationLog(page: Page): Promise<NotificationLog> {
  return page.evaluate(() => {
    const log = (window as unknown as { __notifications: NotificationLog }).__notifications;
    return { requests: log.requests, shown: [...log.shown] };
  });
}

/** Clicks the notification shown last, as the user would on the desktop. */
export async function clickLastNotification(page: Page): Promise<void> {
  await page.evaluate(() => {
    const log = (
      window as unknown as { __notifications: { instances: { onclick?: () => void }[] } }
    ).__notifications;
    log.instances.at(-1)?.onclick?.();
  });
}
