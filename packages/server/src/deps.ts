import fs from 'node:fs';
import type { Registry } from 'prom-client';
import { memoryRateLimiters } from './adapters/memory/memory-rate-limiter.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/database.js';
import type { Logger } from './logger.js';
import { createMetricsRegistry } from './observability/metrics.js';
import type { RateLimiterFactory } from './rate-limit/rate-limiter.js';

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
  /** Checks `/readyz` runs besides the database. */
  readonly readiness: ReadinessCheck[];
  /** Closes every connection, in reverse order of opening; after the app has closed. */
  close(): Promise<void>;
}

/** Options tests use to swap a piece (a fake clock, say). */
export interface DepsOverrides {
  clock?: Clock;
}

/** Opens the connections the configuration asks for and picks the adapters. */
export async function buildDeps(
  config: Config,
  logger: Logger,
  overrides: DepsOverrides = {},
): Promise<Deps> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const closers: Array<() => Promise<void>> = [];
  const database = await openDatabase(config.database, logger);
  closers.push(() => database.close());
  return {
    config,
    logger,
    metrics: createMetricsRegistry(),
    clock: overrides.clock ?? systemClock,
    database,
    rateLimiters: memoryRateLimiters,
    readiness: [],
    async close() {
      for (const close of closers.reverse()) {
        try {
          await close();
        } catch (error) {
          logger.warn({ err: error }, 'error while closing a connection');
        }
      }
    },
  };
}
