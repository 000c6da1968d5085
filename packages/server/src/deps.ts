import fs from 'node:fs';
import type { Registry } from 'prom-client';
import { memoryRateLimiters } from './adapters/memory/memory-rate-limiter.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/database.js';
import type { InboxStore } from './domains/chat/inbox-store.js';
import type { Logger } from './logger.js';
import { createMetricsRegistry } from './observability/metrics.js';
import type { RateLimiterFactory } from './rate-limit/rate-limiter.js';
import type { ScaleOut } from './scale-out.js';

/** A named check `/readyz` runs; it throws when its dependency cannot serve. */
export interface ReadinessCheck {
  readonly name: string;
  readonly check: () => Promise<void>;
}

/**
 * Everything the app is built from: configuration, the logger, and the connections
 * and adapters that the configuration picked. Built once by `buildDeps` (in `main.ts`
 * and in tests) and handed to `createApp`.
 */
export interface Deps {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly clock: Clock;
  readonly database: DatabaseHandle;
  readonly rateLimiters: RateLimiterFactory;
  /**
   * The engines the nodes of a cluster share (Redis, NATS) and the adapters on them,
   * which the domain modules pick instead of the in-process ones; null on one node.
   */
  readonly scaleOut: ScaleOut | null;
  /**
   * The chat inboxes when they are not the database's own (the mirrored inbox of
   * `CHAT_INBOX_STORES`); the chat module closes it. Null: the database's.
   */
  readonly chatInbox: InboxStore | null;
  /** Checks `/readyz` runs besides the database. */
  readonly readiness: ReadinessCheck[];
  /** Closes every connection, in reverse order of opening; after the app has closed. */
  close(): Promise<void>;
}

/** Options tests use to swap a piece (a fake clock, say). */
export interface DepsOverrides {
  clock?: Clock;
}

/**
 * Opens the connections the configuration asks for and picks the adapters. A
 * connection that cannot be opened stops the start with a sentence naming it, after
 * closing those already open.
 */
export async function buildDeps(
  config: Config,
  logger: Logger,
  overrides: DepsOverrides = {},
): Promise<Deps> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.reverse()) {
      try {
        await closer();
      } catch (error) {
        logger.warn({ err: error }, 'error while closing a connection');
      }
    }
  };
  const metrics = createMetricsRegistry();
  try {
    const database = await openDatabase(config.database, logger);
    closers.push(() => database.close());
    let scaleOut: ScaleOut | null = null;
    if (config.cluster !== null) {
      // Loaded only here, so that the embedded default never loads ioredis or NATS.
      const { openScaleOut } = await import('./scale-out.js');
      const opened = await openScaleOut(config.cluster, logger, metrics);
      closers.push(() => opened.close());
      scaleOut = opened;
    }
    const inbox = config.services.chat ? await openChatInbox(config, logger, metrics) : null;
    return {
      config,
      logger,
      metrics,
      clock: overrides.clock ?? systemClock,
      database,
      rateLimiters: scaleOut?.rateLimiters ?? memoryRateLimiters,
      scaleOut,
      chatInbox: inbox?.store ?? null,
      readiness: [...(scaleOut?.readiness ?? []), ...(inbox === null ? [] : [inbox.readiness])],
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The inbox store `CHAT_INBOX_STORES` names: null for the database's own. The
 * mirrored inbox (two stores written in parallel, docs/scaling.md) plugs in here,
 * loaded with `await import(...)` like the other scale-out adapters.
 */
async function openChatInbox(
  config: Config,
  logger: Logger,
  metrics: Registry,
): Promise<{ store: InboxStore; readiness: ReadinessCheck } | null> {
  if (config.chatInbox.kind === 'database') return null;
  const { openMirroredInbox } = await import('./adapters/mirrored/open-mirrored-inbox.js');
  return openMirroredInbox(config, logger, metrics);
}
