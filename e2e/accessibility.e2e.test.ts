import type { Link } from '@switchboard/shared';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpawnedServer } from '../packages/server/src/test-support/spawn-server.js';
import { registerByApi, signInContext, type StoredSession } from './support/accounts.js';
import { accessibilityFailures } from './support/axe.js';
import { launchBrowser, openPage, PHONE, screenshot } from './support/browser.js';
import { startServer } from './support/server.js';

let server: SpawnedServer;
let browser: Browser;
let owner: StoredSession;
let link: Link;

/** A main screen of the app, how to reach it, and what says it is ready. */
interface Screen {
  readonly name: string;
  readonly path: () => string;
  readonly signedIn: boolean;
  /** Brings the screen to the state worth checking, once its heading is there. */
  readonly prepare?: (page: Page) => Promise<void>;
  readonly heading: () => string | RegExp;
}

const SCREENS: readonly Screen[] = [
  { name: 'home', path: () => '/', signedIn: false, heading: () => 'Shorten a link' },
  {
    name: 'home-result',
    path: () => '/',
    signedIn: true,
    heading: () => 'Shorten a link',
    prepare: async (page) => {
      await page.getByLabel('Long URL').fill('https://landing.test/a/rather/long/path?with=query');
      await page.getByText('More options').click();
      await page.getByRole('button', { name: 'Shorten', exact: true }).click();
      await page.getByRole('heading', { name: 'Your short link is ready' }).waitFor();
      await page.getByRole('img', { name: /^QR code that opens/ }).waitFor();
    },
  },
  { name: 'sign-in', path: () => '/login', signedIn: false, heading: () => 'Sign in' },
  { name: 'sign-up', path: () => '/signup', signedIn: false, heading: () => 'Create your account' },
  {
    name: 'my-links',
    path: () => '/links',
    signedIn: true,
    heading: () => 'My links',
    prepare: async (page) => {
      await page.getByRole('list', { name: 'Your links, newest first' }).waitFor();
    },
  },
  {
    name: 'link-edit',
    path: () => '/links',
    signedIn: true,
    heading: () => 'My links',
    prepare: async (page) => {
      await page.getByRole('button', { name: `Edit ${link.code}` }).click();
      await page.getByRole('dialog').waitFor();
    },
  },
  {
    name: 'link-stats',
    path: () => `/links/${link.code}`,
    signedIn: true,
    heading: () => link.shortUrl.replace(/^https?:\/\//, ''),
    prepare: async (page) => {
      await page.getByTestId('total-clicks').waitFor();
      await page.getByRole('button', { name: 'Show as table' }).click();
    },
  },
  {
    name: 'settings',
    path: () => '/settings',
    signedIn: true,
    heading: () => 'Settings',
    prepare: async (page) => {
      await page.getByRole('list', { name: 'Signed-in devices' }).waitFor();
    },
  },
  {
    name: 'not-found',
    path: () => '/settings/nowhere',
    signedIn: false,
    heading: () => 'Page not found',
  },
];

/** Opens a screen in its own context, ready to be checked. */
async function openScreen(screen: Screen, options: BrowserContextOptions = {}) {
  const opened = await openPage(browser, server.baseUrl, options);
  if (screen.signedIn) await signInContext(opened.context, owner);
  await opened.page.goto(screen.path());
  await opened.page.getByRole('heading', { level: 1, name: screen.heading() }).waitFor();
  await screen.prepare?.(opened.page);
  return opened;
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  owner = await registerByApi(server.baseUrl);
  const response = await fetch(`${server.baseUrl}/api/links`, {
    method: 'POST',
    headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: 'https://landing.test/a11y', maxClicks: 1000 }),
  });
  link = (await response.json()) as Link;
  // One click, so the stats screen has a chart and breakdowns to check.
  const click = await fetch(`${server.baseUrl}/${link.code}`, {
    redirect: 'manual',
    headers: {
      referer: 'https://news.example/',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36',
    },
  });
  expect(click.status).toBe(302);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('Accessibility', () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no serious or critical axe violations on the main screens (${colorScheme})`, async () => {
      const report: string[] = [];
      for (const screen of SCREENS) {
        const { page, errors, close } = await openScreen(screen, { colorScheme });
        const failures = await accessibilityFailures(page);
        if (failures !== '') report.push(`${screen.name}:\n${failures}`);
        await screenshot(page, `${screen.name}-${colorScheme}`);
        expect(errors, screen.name).toEqual([]);
        await close();
      }
      expect(report.join('\n\n')).toBe('');
    });
  }

  it('catches what it is meant to catch (an unlabelled field, unreadable text)', async () => {
    const { page, close } = await openPage(browser, server.baseUrl);
    await page.goto('/');
    await page.getByRole('heading', { level: 1, name: 'Shorten a link' }).waitFor();
    await page.evaluate(() => {
      const main = document.querySelector('main');
      main?.insertAdjacentHTML(
        'beforeend',
        '<input id="bare"><p style="color:#ccc;background:#fff">faint</p><h4>skipped levels</h4>',
      );
    });
    const failures = await accessibilityFailures(page);
    expect(failures).toContain('label');
    expect(failures).toContain('color-contrast');
    expect(failures).toContain('heading-order');
    await close();
  });

  it('shortens a link with the keyboard alone, with a visible focus at every stop', async () => {
    const { page, close } = await openPage(browser, server.baseUrl);
    await page.goto('/');
    await page.getByRole('heading', { level: 1, name: 'Shorten a link' }).waitFor();

    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (el === null || el === document.body) return null;
        const style = getComputedStyle(el);
        return {
          label: el.getAttribute('aria-label') ?? el.textContent?.trim() ?? '',
          tag: el.tagName,
          id: el.id,
          outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
        };
      });

    // The first stop skips the header.
    await page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ label: 'Skip to content', outline: true });

    // Tab through the header to the URL field; every stop shows where focus is.
    const stops: string[] = [];
    for (let i = 0; i < 15; i += 1) {
      await page.keyboard.press('Tab');
      const stop = await focused();
      expect(stop, `stop ${i}`).not.toBeNull();
      expect(stop?.outline, `focus ring on ${stop?.label}`).toBe(true);
      stops.push(stop?.label ?? '');
      if (stop?.tag === 'INPUT') break;
    }
    expect(
      await page.evaluate(
        () => (document.activeElement as HTMLInputElement).labels?.[0]?.textContent,
      ),
    ).toBe('Long URL');
    expect(stops).toEqual(expect.arrayContaining(['Switchboard', 'Shorten', 'Sign in', 'Sign up']));

    await page.keyboard.type('landing.test/keyboard');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Your short link is ready' }).waitFor();
    // Focus moves to the result, so a screen reader user hears it at once.
    await expect.poll(async () => (await focused())?.label).toBe('Your short link is ready');

    await page.keyboard.press('Tab'); // the short link itself
    await page.keyboard.press('Tab'); // Copy
    expect((await focused())?.label).toMatch(/^Copy http/);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.getByRole('status').textContent()).toContain('Link copied');

    // The options open and close from the keyboard too.
    await page.getByText('More options').focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('details.options').getAttribute('open')).not.toBeNull();
    await close();
  });

  it('keeps focus inside a dialog and returns it to the opener', async () => {
    const { context, page, close } = await openPage(browser, server.baseUrl);
    await signInContext(context, owner);
    await page.goto('/links');
    const edit = page.getByRole('button', { name: `Edit ${link.code}` });
    await edit.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: `Edit ${link.code}` });
    await dialog.waitFor();
    for (let i = 0; i < 20; i += 1) {
      await page.keyboard.press('Tab');
      expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await edit.evaluate((b) => b === document.activeElement)).toBe(true);
    await close();
  });
});

describe('Small screens', () => {
  it('fits every main screen on a 360 px wide phone without sideways scrolling', async () => {
    const overflowing: string[] = [];
    for (const screen of SCREENS) {
      const { page, close } = await openScreen(screen, PHONE);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > 360) overflowing.push(`${screen.name}: ${width}px`);
      await screenshot(page, `phone-${screen.name}`);
      await close();
    }
    expect(overflowing).toEqual([]);
  });

  it('shows the end of a long host before the alias field, where the short link ends', async () => {
    const { page, close } = await openPage(browser, server.baseUrl, PHONE);
    await page.goto('/');
    await page.getByText('More options').click();
    const prefix = page.locator('.field__prefix');
    await prefix.waitFor();
    // Where the first and the last character of a host too long for the box are drawn.
    const shown = await prefix.evaluate((box) => {
      const text = document.createTreeWalker(box, NodeFilter.SHOW_TEXT).nextNode() as Text;
      text.data = 'links.a-rather-long-company-name.example:3000/';
      const at = (i: number) => {
        const range = document.createRange();
        range.setStart(text, i);
        range.setEnd(text, i + 1);
        return range.getBoundingClientRect();
      };
      const outer = box.getBoundingClientRect();
      const inside = (r: DOMRect) => r.left >= outer.left - 0.5 && r.right <= outer.right + 0.5;
      return { first: inside(at(0)), last: inside(at(text.data.length - 1)) };
    });
    expect(shown).toEqual({ first: false, last: true });
    await close();
  });

  it('keeps every control big enough to tap on a phone', async () => {
    const { context, page, close } = await openPage(browser, server.baseUrl, PHONE);
    await signInContext(context, owner);
    await page.goto('/links');
    await page.getByRole('list', { name: 'Your links, newest first' }).waitFor();
    // WCAG 2.2 target size (minimum): 24 by 24 CSS pixels.
    const small = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>('button, a.button, input, select, summary'))
        .filter((el) => el.offsetParent !== null)
        .map((el) => ({ el, box: el.getBoundingClientRect() }))
        .filter(({ box }) => box.width < 24 || box.height < 24)
        .map(
          ({ el, box }) => `${el.tagName} "${el.textContent?.trim()}" ${box.width}x${box.height}`,
        ),
    );
    expect(small).toEqual([]);
    await close();
  });
});
