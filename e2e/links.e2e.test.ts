import fs from 'node:fs';
import type { Link, LinkPage } from '@switchboard/shared';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpawnedServer } from '../packages/server/src/test-support/spawn-server.js';
import { sessionToken, signUpInBrowser, uniqueUsername } from './support/accounts.js';
import { launchBrowser, openPage, PHONE, screenshot } from './support/browser.js';
import { LANDING_ORIGIN, startLanding, type Landing } from './support/landing.js';
import { startServer } from './support/server.js';

const DESKTOP_CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';

let server: SpawnedServer;
let browser: Browser;
let landing: Landing;

beforeAll(async () => {
  landing = await startLanding();
  [server, browser] = await Promise.all([startServer(), launchBrowser([landing.chromiumArg])]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await landing?.close();
});

/** Shortens `url` through the home screen's form and returns the short URL it shows. */
async function shortenInBrowser(page: Page, url: string): Promise<string> {
  await page.goto('/');
  await page.getByLabel('Long URL').fill(url);
  await page.getByRole('button', { name: 'Shorten', exact: true }).click();
  await page.getByRole('heading', { name: 'Your short link is ready' }).waitFor();
  const shortUrl = await page.locator('.result__link').textContent();
  if (shortUrl === null) throw new Error('no short link shown');
  return shortUrl;
}

/** Calls the API as the page's signed-in user. */
async function api<T>(page: Page, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await sessionToken(page)}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

describe('Links in the browser', () => {
  it('shortens a link anonymously, copies it, shows its QR code, and follows it', async () => {
    const { page, errors, close } = await openPage(browser, server.baseUrl);
    const target = `${LANDING_ORIGIN}/anonymous?ref=e2e`;
    const shortUrl = await shortenInBrowser(page, target);
    expect(shortUrl).toMatch(
      new RegExp(
        `^${server.baseUrl.replace('127.0.0.1', '(127\\.0\\.0\\.1|localhost)')}/[0-9A-Za-z]{7}$`,
      ),
    );

    // One click copies, with feedback on the button and in the live region.
    await page.getByRole('button', { name: /^Copy / }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.getByRole('status').textContent()).toContain('Link copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(shortUrl);

    // The QR code is drawn, and downloads as a real PNG.
    const qr = page.getByRole('img', { name: `QR code that opens ${shortUrl}` });
    await expect
      .poll(() => qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBeGreaterThan(0);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download PNG' }).click(),
    ]);
    const png = fs.readFileSync(await download.path());
    expect(png.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    expect(download.suggestedFilename()).toMatch(/-qr\.png$/);
    await screenshot(page, 'shorten-result');

    // Following the short link lands on the target...
    const code = new URL(shortUrl).pathname.slice(1);
    await page.goto(`${server.baseUrl}/${code}`);
    await page.getByRole('heading', { name: 'Landed on /anonymous' }).waitFor();
    expect(page.url()).toBe(target);
    expect(landing.visits.map((v) => v.path)).toContain('/anonymous?ref=e2e');

    // ...and the anonymous link's stats, public, count it.
    await page.goto(`/links/${code}`);
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh' }).click();
          await page.getByRole('button', { name: 'Refresh' }).waitFor();
          return page.getByTestId('total-clicks').textContent();
        },
        { timeout: 15_000, interval: 300 },
      )
      .toBe('1');
    expect(errors).toEqual([]);
    await close();
  });

  it("shows an anonymous password-protected link's stats without revealing its target", async () => {
    const response = await fetch(`${server.baseUrl}/api/links`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://landing.test/secret-place', password: 'open sesame' }),
    });
    const { code } = (await response.json()) as Link;
    const { page, errors, close } = await openPage(browser, server.baseUrl);
    await page.goto(`/links/${code}`);
    await page.getByRole('heading', { level: 1, name: code }).waitFor();
    await page.getByTestId('total-clicks').waitFor();
    expect(await page.getByText('This link is protected by a password').isVisible()).toBe(true);
    expect(await page.content()).not.toContain('secret-place');
    expect(errors).toEqual([]);
    await close();
  });

  it('shows a click in the stats page reached through My links', async () => {
    const { page, errors, close } = await openPage(browser, server.baseUrl);
    await signUpInBrowser(page, uniqueUsername('stats'));
    const shortUrl = await shortenInBrowser(page, `${LANDING_ORIGIN}/owned`);
    const code = new URL(shortUrl).pathname.slice(1);

    // A visitor comes from another site and follows the link.
    // Headless Chromium says so in its user agent and would count as a bot: visit as a
    // person on a desktop browser.
    const visitor = await openPage(browser, server.baseUrl, { userAgent: DESKTOP_CHROME });
    await visitor.page.goto(`${server.baseUrl}/${code}`, {
      referer: 'https://news.example/item/1',
    });
    await visitor.page.getByRole('heading', { name: 'Landed on /owned' }).waitFor();
    await visitor.close();

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'My links' })
      .click();
    const row = page.getByRole('listitem').filter({ hasText: code });
    await row.waitFor();
    await row.getByRole('link', { name: `Stats for ${code}` }).click();
    await page
      .getByRole('heading', { level: 1, name: shortUrl.replace(/^https?:\/\//, '') })
      .waitFor();

    // Clicks are written in batches: refresh until the batch has landed.
    const total = page.getByTestId('total-clicks');
    const referrers = page
      .getByRole('table')
      .filter({ has: page.getByRole('columnheader', { name: 'Referrer' }) });
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh' }).click();
          await page.getByRole('button', { name: 'Refresh' }).waitFor();
          return [await total.textContent(), await referrers.getByText('news.example').count()];
        },
        { timeout: 15_000, interval: 300 },
      )
      .toEqual(['1', 1]);
    expect(await page.getByTestId('period-clicks').textContent()).toBe('1');
    const devices = page
      .getByRole('table')
      .filter({ has: page.getByRole('columnheader', { name: 'Device' }) });
    expect(await devices.getByText('Desktop').count()).toBe(1);
    const browsers = page
      .getByRole('table')
      .filter({ has: page.getByRole('columnheader', { name: 'Browser' }) });
    expect(await browsers.getByText('Chrome').count()).toBe(1);
    expect(await page.getByTestId('bot-clicks').textContent()).toBe('0');
    const chart = page.getByRole('img', { name: /Clicks per day/ });
    expect(await chart.getAttribute('aria-labelledby')).toBeTruthy();
    expect(await chart.locator('desc').textContent()).toMatch(/^1 click from /);
    // The same numbers are one click away as a table.
    await page.getByRole('button', { name: 'Show as table' }).click();
    const rows = page
      .getByRole('table')
      .filter({ has: page.getByRole('columnheader', { name: 'Day' }) })
      .getByRole('row');
    expect(await rows.count()).toBe(8);
    expect(await rows.last().getByRole('cell').textContent()).toBe('1');
    await screenshot(page, 'link-stats');
    expect(errors).toEqual([]);
    await close();
  });

  it('draws a year of clicks as weekly bars whose labels never collide, on a desktop and a phone', async () => {
    const day = 86_400_000;
    const now = Date.now();
    const fake: Link = {
      code: 'yearly',
      shortUrl: `${server.baseUrl}/yearly`,
      url: 'https://landing.test/year',
      createdAt: new Date(now - 400 * day).toISOString(),
      updatedAt: new Date(now - 400 * day).toISOString(),
      expiresAt: null,
      maxClicks: null,
      redirectType: 302,
      clicks: 0,
      hasPassword: false,
      status: 'active',
    };
    const statsFor = (days: number) => {
      const byDay = Array.from({ length: days }, (_, i) => ({
        day: new Date(now - (days - 1 - i) * day).toISOString().slice(0, 10),
        clicks: Math.round(40 + 35 * Math.sin(i / 9)),
      }));
      const clicks = byDay.reduce((sum, d) => sum + d.clicks, 0);
      return {
        clicks,
        from: byDay[0]!.day,
        to: byDay.at(-1)!.day,
        byDay,
        referrers: [{ key: '(direct)', clicks }],
        devices: [{ key: 'desktop', clicks }],
        browsers: [{ key: 'Firefox', clicks }],
        bots: 0,
      };
    };
    for (const [name, options] of [
      ['desktop', {}],
      ['phone', PHONE],
    ] as const) {
      const { context, page, close } = await openPage(browser, server.baseUrl, options);
      // The API is stood in for here: what is under test is drawing a year, not counting it.
      await context.route('**/api/links/yearly', (route) => route.fulfill({ json: fake }));
      await context.route('**/api/links/yearly/stats?*', (route) => {
        const days = Number(new URL(route.request().url()).searchParams.get('days'));
        return route.fulfill({ json: statsFor(days) });
      });
      await page.goto('/links/yearly');
      await page.getByRole('radio', { name: '12 months' }).check();
      const chart = page.getByRole('img', { name: /Clicks per week, the last 12 months/ });
      await chart.waitFor();
      expect(await chart.locator('rect.chart__bar').count()).toBe(53);
      const boxes = await chart.evaluate((svg) => {
        const frame = svg.getBoundingClientRect();
        return {
          frame: { left: frame.left, right: frame.right },
          labels: Array.from(svg.querySelectorAll('text.chart__axis')).map((t) => {
            const box = t.getBoundingClientRect();
            return { left: box.left, right: box.right };
          }),
        };
      });
      expect(boxes.labels.length, name).toBeGreaterThanOrEqual(3);
      for (const [i, label] of boxes.labels.entries()) {
        expect(label.left, `${name} label ${i} inside`).toBeGreaterThanOrEqual(boxes.frame.left);
        expect(label.right, `${name} label ${i} inside`).toBeLessThanOrEqual(boxes.frame.right);
        const next = boxes.labels[i + 1];
        if (next !== undefined)
          expect(label.right, `${name} labels ${i}, ${i + 1}`).toBeLessThan(next.left);
      }
      await screenshot(page, `link-stats-year-${name}`);
      await close();
    }
  });

  it('creates a link with every option, then edits it and deletes it after confirmation', async () => {
    const { page, errors, close } = await openPage(browser, server.baseUrl);
    await signUpInBrowser(page, uniqueUsername('editor'));
    const alias = `launch-${Date.now().toString(36)}`;
    await page.goto('/');
    await page.getByLabel('Long URL').fill('landing.test/options');
    await page.getByText('More options').click();
    await page.getByLabel('Custom alias').fill(alias);
    await page.getByLabel('Click limit').fill('50');
    await page.getByLabel('Password').fill('open sesame');
    await page.getByLabel('Redirect type').selectOption('307');
    const tomorrow = new Date(Date.now() + 86_400_000);
    const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60_000)
      .toISOString()
      .slice(0, 16);
    await page.getByLabel('Expires').fill(local);
    await screenshot(page, 'shorten-options');
    await page.getByRole('button', { name: 'Shorten', exact: true }).click();
    await page.getByRole('heading', { name: 'Your short link is ready' }).waitFor();
    expect(await page.locator('.result__link').textContent()).toMatch(new RegExp(`/${alias}$`));
    const settings = page.getByRole('list', { name: 'Link settings' });
    expect(await settings.textContent()).toContain('Limit 50 clicks');
    expect(await settings.textContent()).toContain('Password protected');
    expect(await settings.textContent()).toContain('307 redirect');

    const created = await api<Link>(page, 'GET', `/api/links/${alias}`);
    expect(created).toMatchObject({
      url: 'https://landing.test/options',
      maxClicks: 50,
      redirectType: 307,
      hasPassword: true,
    });
    expect(Math.abs(Date.parse(created.expiresAt ?? '') - tomorrow.getTime())).toBeLessThan(60_000);

    // Edit: a new target, no click limit, no password.
    await page.goto('/links');
    const row = page.getByRole('listitem').filter({ hasText: alias });
    await row.getByRole('button', { name: `Edit ${alias}` }).click();
    const dialog = page.getByRole('dialog', { name: `Edit ${alias}` });
    await dialog.getByLabel('Destination URL').fill('https://landing.test/edited');
    await dialog.getByLabel('Click limit').fill('');
    await dialog.getByLabel('Remove the password').check();
    await screenshot(page, 'link-edit');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.getByText('https://landing.test/edited').waitFor();
    const edited = await api<Link>(page, 'GET', `/api/links/${alias}`);
    expect(edited).toMatchObject({
      url: 'https://landing.test/edited',
      maxClicks: null,
      hasPassword: false,
      redirectType: 307,
    });

    // Delete asks first; Cancel keeps the link.
    await row.getByRole('button', { name: `Delete ${alias}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await row.count()).toBe(1);
    await row.getByRole('button', { name: `Delete ${alias}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete link' }).click();
    await row.waitFor({ state: 'detached' });
    expect(await page.getByRole('status').textContent()).toContain(`Link ${alias} deleted`);
    const gone = await fetch(`${server.baseUrl}/api/links/${alias}`);
    expect(gone.status).toBe(404);
    expect(errors).toEqual([]);
    await close();
  });

  it('pages through many links, newest first, with Load more', async () => {
    const { page, close } = await openPage(browser, server.baseUrl);
    await signUpInBrowser(page, uniqueUsername('many'));
    for (let i = 1; i <= 23; i += 1) {
      await api(page, 'POST', '/api/links', { url: `https://landing.test/page/${i}` });
    }
    await page.goto('/links');
    const rows = page.getByRole('list', { name: 'Your links, newest first' }).getByRole('listitem');
    await expect.poll(() => rows.count()).toBe(20);
    expect(await rows.first().textContent()).toContain('https://landing.test/page/23');
    await screenshot(page, 'my-links');
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows.count()).toBe(23);
    expect(await rows.last().textContent()).toContain('https://landing.test/page/1');
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    const all = await api<LinkPage>(page, 'GET', '/api/links?limit=100');
    expect(all.items).toHaveLength(23);
    await close();
  });

  it('explains each refusal next to the field it is about', async () => {
    const { page, errors, close } = await openPage(browser, server.baseUrl);
    await signUpInBrowser(page, uniqueUsername('refused'));
    const alias = `taken-${Date.now().toString(36)}`;
    await api(page, 'POST', '/api/links', { url: 'https://landing.test/first', alias });

    await page.goto('/');
    await page.getByLabel('Long URL').fill('https://landing.test/second');
    await page.getByText('More options').click();
    await page.getByLabel('Custom alias').fill(alias);
    await page.getByRole('button', { name: 'Shorten', exact: true }).click();
    await page.getByText('That alias is taken. Try another one.').waitFor();
    expect(await page.getByLabel('Custom alias').getAttribute('aria-invalid')).toBe('true');
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-invalid')))
      .toBe('true');

    await page.getByLabel('Custom alias').fill('');
    await page.getByLabel('Long URL').fill('ftp://landing.test/file');
    await page.getByRole('button', { name: 'Shorten', exact: true }).click();
    await page.getByText('Only web addresses (http:// or https://) can be shortened.').waitFor();

    // The service's own host is refused by the server, not by the form.
    await page.getByLabel('Long URL').fill(`${server.baseUrl}/somewhere`);
    await page.getByRole('button', { name: 'Shorten', exact: true }).click();
    await page.getByText('That address points at this service itself').waitFor();
    await screenshot(page, 'shorten-error');
    expect(errors).toEqual([]);
    await close();
  });
});
