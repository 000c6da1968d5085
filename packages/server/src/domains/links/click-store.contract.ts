import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClickRow, ClickStore } from './click-store.js';
import { aLink } from './link-store.contract.js';
import type { LinkStore } from './link-store.js';

/** A click store under test, the link store it shares a database with, and cleanup. */
export interface ClickStoreFixture {
  readonly clicks: ClickStore;
  readonly links: LinkStore;
  dispose(): Promise<void>;
}

const DAY = 86_400_000;
const DAY_1 = 19_000 * DAY;

function row(overrides: Partial<ClickRow> = {}): ClickRow {
  return {
    day: DAY_1,
    referrer: '(direct)',
    device: 'desktop',
    browser: 'Firefox',
    bot: false,
    clicks: 1,
    ...overrides,
  };
}

/** The behaviour every `ClickStore` adapter must have. */
export function runClickStoreContract(
  name: string,
  create: () => Promise<ClickStoreFixture>,
): void {
  describe(`ClickStore contract: ${name}`, () => {
    let fixture: ClickStoreFixture;
    beforeEach(async () => {
      fixture = await create();
    });
    afterEach(() => fixture.dispose());

    it("adds uncounted clicks to the link's total and rows to its aggregates", async () => {
      const link = await fixture.links.insert(aLink());
      await fixture.clicks.addClicks([
        {
          linkId: link.id,
          uncounted: 5,
          rows: [
            row({ clicks: 2 }),
            row({ clicks: 1, referrer: 't.co', device: 'mobile', browser: 'Mobile Safari' }),
            row({ clicks: 2, day: DAY_1 + DAY, device: 'bot', browser: 'Googlebot', bot: true }),
          ],
        },
      ]);
      expect((await fixture.links.findByCode(link.code))?.clicks).toBe(5);
      const stats = await fixture.clicks.statsOf(link.id, 0, 100);
      expect(stats.byDay).toEqual([
        { day: DAY_1, clicks: 3 },
        { day: DAY_1 + DAY, clicks: 2 },
      ]);
      expect(stats.referrers).toEqual([
        { key: '(direct)', clicks: 4 },
        { key: 't.co', clicks: 1 },
      ]);
      expect(stats.devices).toEqual([
        { key: 'bot', clicks: 2 },
        { key: 'desktop', clicks: 2 },
        { key: 'mobile', clicks: 1 },
      ]);
      expect(stats.browsers).toEqual([
        { key: 'Firefox', clicks: 2 },
        { key: 'Googlebot', clicks: 2 },
        { key: 'Mobile Safari', clicks: 1 },
      ]);
      expect(stats.bots).toBe(2);
    });

    it('accumulates across flushes instead of overwriting', async () => {
      const link = await fixture.links.insert(aLink());
      for (let i = 0; i < 3; i++) {
        await fixture.clicks.addClicks([
          { linkId: link.id, uncounted: 4, rows: [row({ clicks: 4 })] },
        ]);
      }
      expect((await fixture.links.findByCode(link.code))?.clicks).toBe(12);
      expect((await fixture.clicks.statsOf(link.id, 0, 10)).byDay).toEqual([
        { day: DAY_1, clicks: 12 },
      ]);
    });

    it('does not add clicks counted at redirect time to the total again', async () => {
      const link = await fixture.links.insert(aLink({ maxClicks: 10 }));
      await fixture.links.countLimitedClick(link.id);
      await fixture.clicks.addClicks([{ linkId: link.id, uncounted: 0, rows: [row()] }]);
      expect((await fixture.links.findByCode(link.code))?.clicks).toBe(1);
      expect((await fixture.clicks.statsOf(link.id, 0, 10)).byDay).toEqual([
        { day: DAY_1, clicks: 1 },
      ]);
    });

    it('skips links deleted before the flush and writes the others', async () => {
      const kept = await fixture.links.insert(aLink());
      const gone = await fixture.links.insert(aLink());
      await fixture.links.delete(gone.id);
      await fixture.clicks.addClicks([
        { linkId: gone.id, uncounted: 1, rows: [row()] },
        { linkId: kept.id, uncounted: 1, rows: [row()] },
      ]);
      expect((await fixture.links.findByCode(kept.code))?.clicks).toBe(1);
      expect((await fixture.clicks.statsOf(gone.id, 0, 10)).byDay).toEqual([]);
    });

    it('deletes the aggregates with their link', async () => {
      const link = await fixture.links.insert(aLink());
      await fixture.clicks.addClicks([{ linkId: link.id, uncounted: 1, rows: [row()] }]);
      await fixture.links.delete(link.id);
      expect((await fixture.clicks.statsOf(link.id, 0, 10)).byDay).toEqual([]);
    });

    it('writes a large flush of many links in one call', async () => {
      const links = [];
      for (let i = 0; i < 450; i++) links.push(await fixture.links.insert(aLink()));
      await fixture.clicks.addClicks(
        links.map((l, i) => ({
          linkId: l.id,
          uncounted: i + 1,
          rows: [row({ clicks: i + 1, referrer: `r${i % 7}.example` })],
        })),
      );
      expect((await fixture.links.findByCode(links[449]!.code))?.clicks).toBe(450);
      expect((await fixture.links.findByCode(links[0]!.code))?.clicks).toBe(1);
    });

    it('limits breakdowns to the busiest keys and the window to the days asked', async () => {
      const link = await fixture.links.insert(aLink());
      await fixture.clicks.addClicks([
        {
          linkId: link.id,
          uncounted: 0,
          rows: [
            row({ referrer: 'a.example', clicks: 3 }),
            row({ referrer: 'b.example', clicks: 2 }),
            row({ referrer: 'c.example', clicks: 1 }),
            row({ referrer: 'old.example', clicks: 9, day: DAY_1 - DAY }),
          ],
        },
      ]);
      const stats = await fixture.clicks.statsOf(link.id, DAY_1, 2);
      expect(stats.referrers).toEqual([
        { key: 'a.example', clicks: 3 },
        { key: 'b.example', clicks: 2 },
      ]);
      expect(stats.byDay).toEqual([{ day: DAY_1, clicks: 6 }]);
    });

    it('answers empty statistics for a link without clicks', async () => {
      const link = await fixture.links.insert(aLink());
      expect(await fixture.clicks.statsOf(link.id, 0, 10)).toEqual({
        byDay: [],
        referrers: [],
        devices: [],
        browsers: [],
        bots: 0,
      });
    });
  });
}
