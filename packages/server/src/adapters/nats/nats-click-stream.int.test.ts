import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { NatsLocation } from '../../config.js';
import { runClickStoreContract } from '../../domains/links/click-store.contract.js';
import type { ClickStore, LinkClicks } from '../../domains/links/click-store.js';
import { aLink } from '../../domains/links/link-store.contract.js';
import { createLogger } from '../../logger.js';
import { createPostgresTestDatabase, type TestDatabase } from '../../test-support/databases.js';
import {
  deleteNatsStreams,
  startPrivateNats,
  uniqueClusterName,
  waitFor,
} from '../../test-support/scale-out.js';
import { servicesAvailable, TEST_SERVICES } from '../../test-support/services.js';
import { KyselyLinkClickStore } from '../sql/kysely-link-click-store.js';
import { KyselyLinkStore } from '../sql/kysely-link-store.js';
import {
  clickStreamNames,
  NatsClickStore,
  NatsClickWriter,
  prepareClickStream,
  splitBatch,
} from './nats-click-stream.js';
import { closeNats, openNats } from './nats-connection.js';

const logger = createLogger('silent');
const DAY = 86_400_000;

function location(url: string = TEST_SERVICES.nats): NatsLocation {
  return { servers: [url], user: undefined, pass: undefined, token: undefined };
}

function clicksOf(linkId: string, clicks: number, referrer = '(direct)'): LinkClicks {
  return {
    linkId,
    uncounted: clicks,
    rows: [
      { day: 20_000 * DAY, referrer, device: 'desktop', browser: 'Firefox', bot: false, clicks },
    ],
  };
}

/** A database, a stream of its own, and `nodes` nodes each with a store and a writer. */
async function cluster(nodes: number, natsUrl?: string) {
  const database: TestDatabase = await createPostgresTestDatabase();
  const prefix = uniqueClusterName();
  const options = { prefix, logger };
  const sql = new KyselyLinkClickStore(database.handle);
  const opened: Array<{
    nc: NatsConnection;
    store: NatsClickStore;
    writer: NatsClickWriter;
  }> = [];
  for (let i = 0; i < nodes; i++) {
    const nc = await openNats({ location: location(natsUrl), name: `node-${i}`, logger });
    await prepareClickStream(nc, options);
    const writer = new NatsClickWriter(nc, database.handle.db, sql, options);
    opened.push({ nc, store: new NatsClickStore(nc, sql, options), writer });
  }
  return {
    database,
    prefix,
    sql,
    nodes: opened,
    links: new KyselyLinkStore(database.handle),
    async dispose() {
      for (const node of opened) {
        await node.writer.stop();
        await node.store.close(0);
        await closeNats(node.nc);
      }
      if (natsUrl === undefined) await deleteNatsStreams(prefix);
      await database.dispose();
    },
  };
}

describe(splitBatch.name, () => {
  it('keeps every click when a flush is split under the size limit', () => {
    const batch: LinkClicks[] = Array.from({ length: 50 }, (_, i) => ({
      linkId: `l${i}`,
      uncounted: i,
      rows: Array.from({ length: i === 7 ? 400 : 3 }, (__, r) => ({
        day: 0,
        referrer: `r${r}.example`,
        device: 'desktop' as const,
        browser: 'Firefox',
        bot: false,
        clicks: 1,
      })),
    }));
    const parts = splitBatch(batch, 4_000);
    expect(parts.length).toBeGreaterThan(5);
    for (const part of parts) expect(JSON.stringify(part).length).toBeLessThan(4_800);
    const flat = parts.flat();
    const total = (pick: (l: LinkClicks) => number) => flat.reduce((n, l) => n + pick(l), 0);
    expect(total((l) => l.uncounted)).toBe(batch.reduce((n, l) => n + l.uncounted, 0));
    expect(total((l) => l.rows.length)).toBe(batch.reduce((n, l) => n + l.rows.length, 0));
  });
});

describe.skipIf(!(await servicesAvailable(['postgres', 'nats'])))(NatsClickStore.name, () => {
  runClickStoreContract('NATS stream written to PostgreSQL', async () => {
    const c = await cluster(1);
    const node = c.nodes[0]!;
    node.writer.start();
    // The contract reads right after a flush: wait until the stream is written.
    const clicks: ClickStore = {
      async addClicks(batch) {
        await node.store.addClicks(batch);
        await node.writer.drained();
      },
      statsOf: (linkId, fromDay, limit) => node.store.statsOf(linkId, fromDay, limit),
    };
    return { clicks, links: c.links, dispose: () => c.dispose() };
  });

  const disposers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const dispose of disposers.splice(0)) await dispose();
  });

  it('counts every click exactly once with several nodes flushing and writing at once', async () => {
    const c = await cluster(3);
    disposers.push(() => c.dispose());
    const links = await Promise.all(
      Array.from({ length: 5 }, (_, i) => c.links.insert(aLink({ code: `multi${i}` }))),
    );
    for (const node of c.nodes) node.writer.start();
    await Promise.all(
      c.nodes.flatMap((node, n) =>
        Array.from({ length: 20 }, (_, f) =>
          node.store.addClicks(links.map((l, i) => clicksOf(l.id, 1 + ((n + f + i) % 3)))),
        ),
      ),
    );
    await c.nodes[0]!.writer.drained();
    const expected = links.map((_, i) => {
      let sum = 0;
      for (let n = 0; n < 3; n++) for (let f = 0; f < 20; f++) sum += 1 + ((n + f + i) % 3);
      return sum;
    });
    const totals = await Promise.all(
      links.map(async (l) => (await c.links.findByCode(l.code))?.clicks),
    );
    expect(totals).toEqual(expected);
    const byDay = await Promise.all(
      links.map(async (l) => (await c.sql.statsOf(l.id, 0, 10)).byDay),
    );
    expect(byDay.map((d) => d[0]?.clicks)).toEqual(expected);
    expect(c.nodes.reduce((n, node) => n + node.writer.written, 0)).toBe(60);
  });

  it('stores a batch published twice under one id once', async () => {
    const c = await cluster(1);
    disposers.push(() => c.dispose());
    const link = await c.links.insert(aLink({ code: 'twice' }));
    const js = jetstream(c.nodes[0]!.nc);
    const body = JSON.stringify({ batchId: 'b-1', links: [clicksOf(link.id, 4)] });
    const first = await js.publish(clickStreamNames(c.prefix).subject, body, { msgID: 'b-1' });
    const again = await js.publish(clickStreamNames(c.prefix).subject, body, { msgID: 'b-1' });
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(first.seq);
    c.nodes[0]!.writer.start();
    await c.nodes[0]!.writer.drained();
    expect((await c.links.findByCode('twice'))?.clicks).toBe(4);
  });

  it('acknowledges without writing again a batch whose writer died after its commit', async () => {
    const c = await cluster(2);
    disposers.push(() => c.dispose());
    const link = await c.links.insert(aLink({ code: 'redelivered' }));
    const batch = { batchId: 'dies-after-commit', links: [clicksOf(link.id, 7)] };
    const js = jetstream(c.nodes[0]!.nc);
    await js.publish(clickStreamNames(c.prefix).subject, JSON.stringify(batch), {
      msgID: batch.batchId,
    });
    // Node 0 wrote it and died before its ack: the message is still in the stream.
    expect(await c.nodes[0]!.writer.apply(batch)).toBe(true);
    const other = c.nodes[1]!.writer;
    other.start();
    await other.drained();
    expect(other.duplicates).toBe(1);
    expect(other.written).toBe(0);
    expect((await c.links.findByCode('redelivered'))?.clicks).toBe(7);
    const jsm = await jetstreamManager(c.nodes[0]!.nc);
    expect((await jsm.streams.info(clickStreamNames(c.prefix).stream)).state.messages).toBe(0);
  });

  it('keeps a flush made while NATS is down and publishes it, once, when NATS is back', async () => {
    const nats = await startPrivateNats();
    disposers.push(() => nats.close());
    const c = await cluster(1, nats.url);
    disposers.unshift(() => c.dispose());
    const node = c.nodes[0]!;
    const link = await c.links.insert(aLink({ code: 'outage' }));
    node.writer.start();
    await node.store.addClicks([clicksOf(link.id, 2)]);
    await node.writer.drained();

    await nats.kill();
    await node.store.addClicks([clicksOf(link.id, 3)]);
    expect(node.store.unsent).toBe(1);
    await nats.restart();
    await waitFor(() => node.store.unsent === 0, 'the outbox went out', 20_000);
    await waitFor(
      async () => (await c.links.findByCode('outage'))?.clicks === 5,
      'written after the outage',
      20_000,
    );
  });
});
