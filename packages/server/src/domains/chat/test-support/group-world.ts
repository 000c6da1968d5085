import type { Kysely } from 'kysely';
import { MemoryChatBus } from '../../../adapters/memory/memory-chat-bus.js';
import type { FanoutJobWriter } from '../../../adapters/sql/fanout-job-writer.js';
import { KyselyBlockStore } from '../../../adapters/sql/kysely-block-store.js';
import { KyselyContactStore } from '../../../adapters/sql/kysely-contact-store.js';
import { KyselyGroupStore } from '../../../adapters/sql/kysely-group-store.js';
import { KyselyInboxStore } from '../../../adapters/sql/kysely-inbox-store.js';
import type { Database } from '../../../db/schema.js';
import { createLogger } from '../../../logger.js';
import { BlockService } from '../block-service.js';
import type { FanoutJob, FanoutQueue } from '../fanout-queue.js';
import { GroupService } from '../group-service.js';
import { MessageService } from '../message-service.js';
import { UserDirectory } from '../user-directory.js';
import { accountsOf } from './fakes.js';

/**
 * Groups over a real database: the group service on the SQL group store writing its
 * event jobs through `writer`, and what a (re)started node runs the jobs with, the
 * message service delivering into the SQL inbox. Users and devices are fakes.
 */
export function groupWorld(db: Kysely<Database>, writer: FanoutJobWriter) {
  const users = new UserDirectory(
    accountsOf({ alice: ['alice-1'], bob: ['bob-1', 'bob-2'], carol: ['carol-1'] }),
  );
  const clock = { now: () => Date.now() };
  const bus = new MemoryChatBus();
  const blocks = new BlockService(new KyselyBlockStore(db), users, clock, bus);
  const groupStore = new KyselyGroupStore(db, writer);
  const inbox = new KyselyInboxStore(db);
  const groups = new GroupService({ groups: groupStore, blocks, users, clock, maxGroupSize: 10 });
  /** The handler of a node's fan-out worker. */
  const handler = (queue: FanoutQueue) => {
    const messages = new MessageService({
      inbox,
      queue,
      bus,
      groups: groupStore,
      contacts: new KyselyContactStore(db),
      blocks,
      users,
      clock,
      logger: createLogger('silent'),
      inboxTtlMs: 86_400_000,
    });
    return (job: FanoutJob) => messages.handleJob(job);
  };
  /** The `group` events in a device's inbox: [event, userId]. */
  const groupEvents = async (deviceId: string) => {
    const items = await inbox.read(deviceId, 0, 100, Date.now());
    return items
      .map((i) => JSON.parse(i.payload) as { type: string; event: string; userId?: string })
      .filter((p) => p.type === 'group')
      .map((p) => [p.event, p.userId ?? null]);
  };
  return { groups, groupStore, inbox, handler, groupEvents };
}

/**
 * A writer whose process "dies" right after the change commits: the job is written in
 * the transaction, but nothing that should follow the commit ever runs.
 */
export function crashingAfterCommit(writer: FanoutJobWriter): FanoutJobWriter {
  return {
    write: (trx, jobs) => writer.write(trx, jobs),
    committed: () => new Promise<void>(() => undefined),
  };
}
