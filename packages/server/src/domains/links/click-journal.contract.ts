import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClickJournal } from './click-journal.js';
import type { ClickRow, ClickStore, LinkClicks } from './click-store.js';
import { aLink } from './link-store.contract.js';
import type { LinkRecord, LinkStore } from './link-store.js';

/** A journal under test, the stores it shares a database with, and a restart. */
export interface ClickJournalFixture {
  readonly journal: ClickJournal;
  readonly clicks: ClickStore;
  readonly links: LinkStore;
  /** A new journal on the same database, as after a restart (or a crash). */
  reopen(): ClickJournal;
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

function clicksFor(link: LinkRecord, n: number, overrides: Partial<ClickRow> = {}): LinkClicks {
  return { linkId: link.id, uncounted: n, rows: [row({ clicks: n, ...overrides })] };
}

/** Links with ids in ascending order, as folds take them. */
async function linksInOrder(links: LinkStore, n: number): Promise<LinkRecord[]> {
  const made: LinkRecord[] = [];
  for (let i = 0; i < n; i++) made.push(await links.insert(aLink()));
  return made.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The behaviour every `ClickJournal` adapter must have. */
export function runClickJournalContract(
  name: string,
  create: () => Promise<ClickJournalFixture>,
): void {
  describe(`ClickJournal contract: ${name}`, () => {
    let fixture: ClickJournalFixture;
    beforeEach(async () => {
      fixture = await create();
    });
    afterEach(() => fixture.dispose());

    const totalOf = async (link: LinkRecord) => (await fixture.links.findByCode(link.code))?.clicks;

    it('starts empty', async () => {
      expect(await fixture.journal.recover()).toEqual({ clicks: [], position: 0 });
    });

    it('keeps appended clicks out of the aggregates, and gives them back after a restart', async () => {
      const [a, b] = await linksInOrder(fixture.links, 2);
      await fixture.journal.recover();
      expect(await fixture.journal.append([clicksFor(a!, 2)])).toBe(1);
      expect(
        await fixture.journal.append([
          clicksFor(a!, 3),
          clicksFor(b!, 1, { referrer: 't.co', device: 'mobile' }),
        ]),
      ).toBe(2);
      expect(await totalOf(a!)).toBe(0);
      expect((await fixture.clicks.statsOf(a!.id, 0, 10)).byDay).toEqual([]);

      const recovered = await fixture.reopen().recover();
      expect(recovered.position).toBeGreaterThanOrEqual(2);
      expect(recovered.clicks).toHaveLength(2);
      expect(recovered.clicks).toEqual(
        expect.arrayContaining([
          { linkId: a!.id, uncounted: 5, rows: [row({ clicks: 5 })] },
          {
            linkId: b!.id,
            uncounted: 1,
            rows: [row({ referrer: 't.co', device: 'mobile' })],
          },
        ]),
      );
    });

    it('folds into the totals and rows, and answers nothing more once trimmed', async () => {
      const [a, b] = await linksInOrder(fixture.links, 2);
      await fixture.journal.recover();
      const upto = await fixture.journal.append([clicksFor(a!, 2), clicksFor(b!, 4)]);
      await fixture.journal.fold([clicksFor(a!, 2), clicksFor(b!, 4)], upto, b!.id);
      await fixture.journal.trim(upto);
      expect(await totalOf(a!)).toBe(2);
      expect(await totalOf(b!)).toBe(4);
      expect((await fixture.clicks.statsOf(b!.id, 0, 10)).byDay).toEqual([
        { day: DAY_1, clicks: 4 },
      ]);
      expect((await fixture.reopen().recover()).clicks).toEqual([]);
    });

    it('after a crash mid-fold, gives back exactly the clicks the fold had not committed', async () => {
      const [a, b, c] = await linksInOrder(fixture.links, 3);
      await fixture.journal.recover();
      const upto = await fixture.journal.append([
        clicksFor(a!, 1),
        clicksFor(b!, 2),
        clicksFor(c!, 3),
      ]);
      // Appended while the fold runs: not covered by it, even for links it folded.
      await fixture.journal.append([clicksFor(a!, 10)]);
      await fixture.journal.fold([clicksFor(a!, 1), clicksFor(b!, 2)], upto, b!.id);
      // The crash: no more parts, no trim.
      const reopened = fixture.reopen();
      const recovered = await reopened.recover();
      expect(recovered.clicks).toEqual(
        expect.arrayContaining([
          { linkId: a!.id, uncounted: 10, rows: [row({ clicks: 10 })] },
          { linkId: c!.id, uncounted: 3, rows: [row({ clicks: 3 })] },
        ]),
      );
      expect(recovered.clicks).toHaveLength(2);
      expect(await totalOf(a!)).toBe(1);
      expect(await totalOf(b!)).toBe(2);
      expect(await totalOf(c!)).toBe(0);

      // Recovering settled the interrupted fold: a second crash gives back the same.
      const again = await fixture.reopen().recover();
      expect(again.clicks).toEqual(expect.arrayContaining([...recovered.clicks]));
      expect(again.clicks).toHaveLength(2);

      // And a new fold from there counts each click once.
      const next = fixture.reopen();
      const { clicks, position } = await next.recover();
      await next.fold([...clicks], position, [a!.id, c!.id].sort().at(-1)!);
      await next.trim(position);
      expect(await totalOf(a!)).toBe(11);
      expect(await totalOf(b!)).toBe(2);
      expect(await totalOf(c!)).toBe(3);
      expect((await fixture.reopen().recover()).clicks).toEqual([]);
    });

    it('numbers records after every record the journal holds, across a restart', async () => {
      const [a] = await linksInOrder(fixture.links, 1);
      await fixture.journal.recover();
      const first = await fixture.journal.append([clicksFor(a!, 1)]);
      const second = await fixture.journal.append([clicksFor(a!, 1)]);
      expect(second).toBeGreaterThan(first);
      const reopened = fixture.reopen();
      const { position } = await reopened.recover();
      expect(position).toBeGreaterThanOrEqual(second);
      expect(await reopened.append([clicksFor(a!, 1)])).toBeGreaterThan(position);
      expect((await fixture.reopen().recover()).clicks).toEqual([
        { linkId: a!.id, uncounted: 3, rows: [row({ clicks: 3 })] },
      ]);
    });

    it('skips links deleted before their fold', async () => {
      const [kept, gone] = await linksInOrder(fixture.links, 2);
      await fixture.journal.recover();
      const upto = await fixture.journal.append([clicksFor(kept!, 1), clicksFor(gone!, 1)]);
      await fixture.links.delete(gone!.id);
      await fixture.journal.fold(
        [clicksFor(kept!, 1), clicksFor(gone!, 1)],
        upto,
        [kept!.id, gone!.id].sort().at(-1)!,
      );
      await fixture.journal.trim(upto);
      expect(await totalOf(kept!)).toBe(1);
      expect((await fixture.clicks.statsOf(gone!.id, 0, 10)).byDay).toEqual([]);
    });
  });
}
