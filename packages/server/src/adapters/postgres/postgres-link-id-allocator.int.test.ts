import { Migrator, type Migration } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../db/database.js';
import { MIGRATIONS } from '../../db/migrations/index.js';
import { createCodePermutation } from '../../domains/links/code-permutation.js';
import { CodeGenerator } from '../../domains/links/code-generator.js';
import { runLinkIdAllocatorContract } from '../../domains/links/link-id-allocator.contract.js';
import { createLogger } from '../../logger.js';
import { createScratchPostgres, type ScratchPostgres } from '../../test-support/scale-out.js';
import { servicesAvailable } from '../../test-support/services.js';
import { KyselyLinkIdAllocator } from '../sql/kysely-link-id-allocator.js';
import { PostgresLinkIdAllocator } from './postgres-link-id-allocator.js';
import { openPostgres } from './postgres-database.js';

const logger = createLogger('silent');

/** `count` handles on one fresh database: the connection pools of as many nodes. */
async function nodesOn(count: number) {
  const database = await createScratchPostgres();
  const handles: DatabaseHandle[] = [];
  for (let i = 0; i < count; i++) {
    handles.push(await openDatabase({ kind: 'postgres', url: database.url }, logger));
  }
  return {
    handles,
    async dispose() {
      for (const handle of handles) await handle.close();
      await database.drop();
    },
  };
}

describe.skipIf(!(await servicesAvailable(['postgres'])))(PostgresLinkIdAllocator.name, () => {
  runLinkIdAllocatorContract('PostgreSQL sequence, two nodes', async () => {
    const nodes = await nodesOn(2);
    return {
      allocator: new PostgresLinkIdAllocator(nodes.handles[0]!.db),
      otherNode: new PostgresLinkIdAllocator(nodes.handles[1]!.db),
      dispose: () => nodes.dispose(),
    };
  });

  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('never gives two nodes creating codes at once the same code', async () => {
    const nodes = await nodesOn(4);
    cleanups.push(() => nodes.dispose());
    const permutation = createCodePermutation(Buffer.alloc(32, 7));
    const generators = nodes.handles.map(
      (h) => new CodeGenerator(new PostgresLinkIdAllocator(h.db), permutation, 1_000),
    );
    // 2,500 codes per node, all asked at once: each node spends several blocks.
    const codes = (
      await Promise.all(
        generators.map((g) => Promise.all(Array.from({ length: 2_500 }, () => g.next()))),
      )
    ).flat();
    expect(codes).toHaveLength(10_000);
    expect(new Set(codes).size).toBe(10_000);
    expect(codes.every((c) => /^[0-9A-Za-z]{7}$/.test(c))).toBe(true);
  });

  it('hands out blocks of the sequence increment, whatever size is asked', async () => {
    const nodes = await nodesOn(1);
    cleanups.push(() => nodes.dispose());
    const allocator = new PostgresLinkIdAllocator(nodes.handles[0]!.db);
    const first = await allocator.allocate(10);
    const second = await allocator.allocate(5_000);
    expect(first.count).toBe(1_000);
    expect(second).toEqual({ first: first.first + 1_000, count: 1_000 });
  });

  it('starts after the ids the counter row handed out before the upgrade', async () => {
    const database: ScratchPostgres = await createScratchPostgres();
    cleanups.push(() => database.drop());
    const handle = await openPostgres(database.url);
    try {
      // A database from before migration 0004, whose counter row is in use.
      const before: Record<string, Migration> = Object.fromEntries(
        Object.entries(MIGRATIONS).filter(([name]) => name < '0004'),
      );
      const migrator = new Migrator({
        db: handle.db,
        provider: { getMigrations: () => Promise.resolve(before) },
      });
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const used = await new KyselyLinkIdAllocator(handle.db).allocate(12_345);
      expect(used).toEqual({ first: 0, count: 12_345 });
    } finally {
      await handle.close();
    }
    const upgraded = await openDatabase({ kind: 'postgres', url: database.url }, logger);
    try {
      const block = await new PostgresLinkIdAllocator(upgraded.db).allocate(1_000);
      expect(block.first).toBe(13_000);
    } finally {
      await upgraded.close();
    }
  });
});
