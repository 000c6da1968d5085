import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MemoryChatBus } from '../../adapters/memory/memory-chat-bus.js';
import { MemoryPresenceStore } from '../../adapters/memory/memory-presence-store.js';
import { KyselyBlockStore } from '../../adapters/sql/kysely-block-store.js';
import { KyselyContactStore } from '../../adapters/sql/kysely-contact-store.js';
import type { FanoutJobWriter } from '../../adapters/sql/fanout-job-writer.js';
import { KyselyFanoutOutbox } from '../../adapters/sql/kysely-fanout-outbox.js';
import { KyselyFanoutQueue } from '../../adapters/sql/kysely-fanout-queue.js';
import { KyselyGroupStore } from '../../adapters/sql/kysely-group-store.js';
import { KyselyInboxStore } from '../../adapters/sql/kysely-inbox-store.js';
import { SqliteInboxStore } from '../../adapters/sqlite/sqlite-inbox-store.js';
import type { Deps } from '../../deps.js';
import type { AccountsModule } from '../accounts/accounts.module.js';
import { BlockService } from './block-service.js';
import { registerChatRoutes } from './chat.routes.js';
import { ChatGateway } from './gateway.js';
import { GroupService } from './group-service.js';
import type { FanoutQueue } from './fanout-queue.js';
import type { InboxStore } from './inbox-store.js';
import { MessageService } from './message-service.js';
import { PresenceService } from './presence-service.js';
import { UserDirectory } from './user-directory.js';

/** What the chat domain offers the rest of the app (and its tests). */
export interface ChatModule {
  /** Sockets open now. */
  connectionCount(): number;
  /** Deletes expired inbox items now (it also runs every `CHAT_SWEEP_INTERVAL_MS`). */
  sweep(): Promise<number>;
  /** Resolves once no group fan-out job is waiting. */
  fanoutDrained(): Promise<void>;
}

const DAY_MS = 86_400_000;

/** Builds the chat services, the WebSocket gateway at `/ws` and the chat routes. */
export async function installChat(
  app: FastifyInstance,
  deps: Deps,
  accounts: AccountsModule,
): Promise<ChatModule> {
  const { env } = deps.config;
  const logger = deps.logger.child({ domain: 'chat' });
  const { db, sqlite } = deps.database;

  // The embedded default writes inboxes with prepared statements and group commit;
  // PostgreSQL goes through Kysely. Everything relational is Kysely on both.
  const commits = new Histogram({
    name: 'chat_inbox_commit_deliveries',
    help: 'Deliveries (sends, acks, receipts, fan-outs) per inbox commit (SQLite)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048],
    registers: [deps.metrics],
  });
  const commitSeconds = new Histogram({
    name: 'chat_inbox_commit_seconds',
    help: 'Duration of an inbox commit (SQLite), statements included',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [deps.metrics],
  });
  const inbox: InboxStore =
    deps.chatInbox ??
    (sqlite === null
      ? new KyselyInboxStore(db)
      : new SqliteInboxStore(sqlite, (deliveries, seconds) => {
          commits.observe(deliveries);
          commitSeconds.observe(seconds);
        }));
  const frames = new Counter({
    name: 'chat_frames_received_total',
    help: 'WebSocket frames received and valid, by type',
    labelNames: ['type'] as const,
    registers: [deps.metrics],
  });
  const stored = new Counter({
    name: 'chat_messages_stored_total',
    help: 'Messages stored and answered `sent`, by address (user or group)',
    labelNames: ['to'] as const,
    registers: [deps.metrics],
  });
  const contacts = new KyselyContactStore(db);
  // A cluster: fan-out on JetStream, delivery between nodes on NATS, presence in Redis.
  const { scaleOut } = deps;
  // A group change writes its event job in its own transaction: into the queue's table
  // (embedded), or into the outbox that this node publishes to JetStream after the
  // commit and whose relay publishes what a crash left behind (scale-out).
  let queue: FanoutQueue;
  let jobWriter: FanoutJobWriter;
  let outbox: KyselyFanoutOutbox | null = null;
  if (scaleOut !== null) {
    const nats = await scaleOut.fanoutQueue(logger);
    queue = nats;
    outbox = new KyselyFanoutOutbox(db, (job) => nats.enqueue(job), logger);
    jobWriter = outbox;
  } else {
    const table = new KyselyFanoutQueue(db, logger);
    queue = table;
    jobWriter = table;
  }
  const groups = new KyselyGroupStore(db, jobWriter);
  const bus = scaleOut !== null ? await scaleOut.chatBus() : new MemoryChatBus();
  const presenceStore = scaleOut?.presenceStore() ?? new MemoryPresenceStore();

  const users = new UserDirectory(accounts);
  const blocks = new BlockService(new KyselyBlockStore(db), users, deps.clock, bus);
  const messages = new MessageService({
    inbox,
    queue,
    bus,
    groups,
    contacts,
    blocks,
    users,
    clock: deps.clock,
    logger,
    inboxTtlMs: env.CHAT_INBOX_TTL_DAYS * DAY_MS,
  });
  const presence = new PresenceService({
    store: presenceStore,
    bus,
    contacts,
    groups,
    blocks,
    users,
    clock: deps.clock,
  });
  const groupService = new GroupService({
    groups,
    blocks,
    users,
    clock: deps.clock,
    maxGroupSize: env.CHAT_MAX_GROUP_SIZE,
  });
  blocks.onBlock((userId, blockedId) => {
    presence.separate(userId, blockedId).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not hide presence after a block');
    });
  });

  const gateway = new ChatGateway(
    {
      authenticate: accounts.authenticate,
      inbox,
      messages,
      presence,
      bus,
      clock: deps.clock,
      logger,
      metrics: {
        frameReceived: (type) => frames.inc({ type }),
        messageStored: (to) => stored.inc({ to }),
      },
    },
    {
      heartbeatMs: env.CHAT_HEARTBEAT_MS,
      authTimeoutMs: env.CHAT_AUTH_TIMEOUT_MS,
      sendBufferBytes: env.CHAT_SEND_BUFFER_BYTES,
      framesPerSecond: env.CHAT_FRAMES_PER_SECOND,
      backlogPage: env.CHAT_BACKLOG_PAGE,
      ...(deps.config.cluster === null ? {} : { nodeId: deps.config.cluster.nodeId }),
    },
  );
  app.server.on('upgrade', (request, socket, head: Buffer) => {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path === '/ws') {
      gateway.handleUpgrade(request, socket, head);
    } else if (app.server.listenerCount('upgrade') === 1) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    }
  });

  // A revoked device is disconnected at once, wherever its socket is, and its inbox goes.
  const unsubscribe = accounts.onDeviceChange((change) => {
    if (change.change !== 'revoked') return;
    bus.publish({ kind: 'disconnect', deviceId: change.deviceId, reason: 'revoked' });
    messages.dropDevice(change.deviceId).catch((error: unknown) => {
      logger.warn({ err: error, deviceId: change.deviceId }, 'could not drop a revoked inbox');
    });
  });

  registerChatRoutes(app, {
    groups: groupService,
    blocks,
    presence,
    auth: accounts.auth,
    limiter: deps.rateLimiters({
      name: 'chat-api',
      points: env.CHAT_API_REQUESTS_PER_MINUTE,
      durationSeconds: 60,
    }),
  });

  new Gauge({
    name: 'chat_connections',
    help: 'WebSocket connections open on this node',
    registers: [deps.metrics],
    collect() {
      this.set(gateway.connectionCount);
    },
  });

  queue.start((job) => messages.handleJob(job));
  outbox?.start();
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    sweeping = messages
      .sweep()
      .then((n) => {
        if (n > 0) logger.info({ items: n }, 'expired inbox items deleted');
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'inbox sweep failed'));
  };
  const sweepTimer = setInterval(sweep, env.CHAT_SWEEP_INTERVAL_MS);
  sweepTimer.unref();

  // Sockets keep the server open: close them before Fastify waits for connections.
  app.addHook('preClose', async () => {
    await gateway.close();
  });
  app.addHook('onClose', async () => {
    clearInterval(sweepTimer);
    unsubscribe();
    await sweeping;
    await outbox?.stop();
    await queue.stop();
    await inbox.close();
  });

  return {
    connectionCount: () => gateway.connectionCount,
    sweep: () => messages.sweep(),
    fanoutDrained: () => queue.drained(),
  };
}
