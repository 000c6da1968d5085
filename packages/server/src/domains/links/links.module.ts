import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge } from 'prom-client';
import { MemoryLinkCache } from '../../adapters/memory/memory-link-cache.js';
import { PostgresLinkIdAllocator } from '../../adapters/postgres/postgres-link-id-allocator.js';
import { loadOrCreateSharedLinkKey } from '../../adapters/postgres/postgres-link-key.js';
import { KyselyLinkClickStore } from '../../adapters/sql/kysely-link-click-store.js';
import { KyselyLinkIdAllocator } from '../../adapters/sql/kysely-link-id-allocator.js';
import { KyselyLinkStore } from '../../adapters/sql/kysely-link-store.js';
import type { Deps } from '../../deps.js';
import type { HttpMetrics } from '../../observability/metrics.js';
import type { AccountsModule } from '../accounts/accounts.module.js';
import { ClickAggregator } from './click-aggregator.js';
import { CodeGenerator } from './code-generator.js';
import { createCodePermutation } from './code-permutation.js';
import { LINK_KEY_FILE, loadOrCreateLinkKey } from './link-key-file.js';
import { QrRenderer } from './link-qr.js';
import { LinkService } from './link-service.js';
import { registerLinkRoutes } from './links.routes.js';
import { registerRedirectRoutes, type RawRoute, type RedirectCounters } from './redirect.routes.js';
import { createUrlPolicy } from './url-policy.js';
import { VisitorClassifier } from './visitor-profile.js';

/** What the links domain offers the rest of the app. */
export interface LinksModule {
  readonly service: LinkService;
  /** Writes the buffered clicks now (the timer and shutdown do it on their own). */
  flushClicks(): Promise<void>;
  /** The redirect's fast path, for the HTTP server to try before Fastify. */
  readonly rawRedirect: RawRoute;
}

/** Builds the links service on the configured stores and registers its routes. */
export async function installLinks(
  app: FastifyInstance,
  deps: Deps,
  accounts: AccountsModule,
  httpMetrics: HttpMetrics,
): Promise<LinksModule> {
  const { config, database, clock, logger } = deps;
  const env = config.env;

  const urlPolicy = createUrlPolicy({
    publicUrl: config.publicUrl,
    listenHost: config.host,
    blocklist: config.urlBlocklist,
  });

  // Adapters: a cluster shares its cache, its click stream and its link key; PostgreSQL
  // hands out ids from a sequence; the embedded default keeps all of it in-process.
  const cacheOptions = {
    size: env.LINK_CACHE_SIZE,
    negativeTtlMs: env.LINK_NEGATIVE_CACHE_MS,
    clock,
  };
  const cache =
    deps.scaleOut !== null
      ? await deps.scaleOut.linkCache(cacheOptions)
      : new MemoryLinkCache(cacheOptions);
  const postgres = database.dialect === 'postgres';
  const linkKey = postgres
    ? await loadOrCreateSharedLinkKey(
        database.db,
        logger,
        // A node moved from SQLite keeps the key its codes were made with.
        fs.existsSync(path.join(config.dataDir, LINK_KEY_FILE))
          ? loadOrCreateLinkKey(config.dataDir, logger)
          : null,
      )
    : loadOrCreateLinkKey(config.dataDir, logger);
  const codes = new CodeGenerator(
    postgres ? new PostgresLinkIdAllocator(database.db) : new KyselyLinkIdAllocator(database.db),
    createCodePermutation(linkKey),
    env.LINK_KEY_BLOCK_SIZE,
  );
  const sqlClicks = new KyselyLinkClickStore(database);
  const clicks =
    deps.scaleOut !== null ? await deps.scaleOut.clickStore(sqlClicks, database.db) : sqlClicks;
  const aggregator = new ClickAggregator(clicks, new VisitorClassifier(), clock, logger);
  aggregator.start(env.CLICK_FLUSH_MS);
  // Fastify closes the server (finishing in-flight requests) before its onClose hooks,
  // so this flush sees every redirect that was answered.
  app.addHook('onClose', () => aggregator.close());

  const service = new LinkService({
    links: new KyselyLinkStore(database),
    clicks,
    cache,
    codes,
    urlPolicy,
    aggregator,
    passwordAttempts: deps.rateLimiters({
      name: 'link-password',
      points: env.LINK_PASSWORD_ATTEMPTS,
      durationSeconds: 15 * 60,
    }),
    clock,
    publicUrl: config.publicUrl,
  });

  const counters: RedirectCounters = {
    cacheHits: 0,
    negativeHits: 0,
    cacheMisses: 0,
    redirects: 0,
  };
  registerMetrics(deps, counters, aggregator);

  registerLinkRoutes(
    app,
    service,
    accounts.auth,
    {
      perIp:
        env.LINKS_PER_MINUTE_PER_IP > 0
          ? deps.rateLimiters({
              name: 'link-create-ip',
              points: env.LINKS_PER_MINUTE_PER_IP,
              durationSeconds: 60,
            })
          : null,
      perAccount:
        env.LINKS_PER_MINUTE_PER_ACCOUNT > 0
          ? deps.rateLimiters({
              name: 'link-create-account',
              points: env.LINKS_PER_MINUTE_PER_ACCOUNT,
              durationSeconds: 60,
            })
          : null,
      exemptUsers: new Set(env.RATE_LIMIT_EXEMPT_USERS.map((u) => u.toLowerCase())),
    },
    new QrRenderer(),
  );
  const rawRedirect = await registerRedirectRoutes(app, service, counters, httpMetrics);

  return { service, flushClicks: () => aggregator.flush(), rawRedirect };
}

/** Exposes the redirect counters at `/metrics`, read only when scraped. */
function registerMetrics(
  deps: Deps,
  counters: RedirectCounters,
  aggregator: ClickAggregator,
): void {
  const registers = [deps.metrics];
  new Counter({
    name: 'link_redirects_total',
    help: 'Redirects answered',
    registers,
    collect() {
      this.reset();
      this.inc(counters.redirects);
    },
  });
  new Counter({
    name: 'link_cache_lookups_total',
    help: 'Link cache lookups on the redirect path, by result',
    labelNames: ['result'] as const,
    registers,
    collect() {
      this.reset();
      this.inc({ result: 'hit' }, counters.cacheHits);
      this.inc({ result: 'negative' }, counters.negativeHits);
      this.inc({ result: 'miss' }, counters.cacheMisses);
    },
  });
  new Counter({
    name: 'link_clicks_written_total',
    help: 'Clicks written to the database by the batched flush',
    registers,
    collect() {
      this.reset();
      this.inc(aggregator.written);
    },
  });
  new Gauge({
    name: 'link_clicks_buffered',
    help: 'Clicks counted in memory and not written yet',
    registers,
    collect() {
      this.set(aggregator.buffered);
    },
  });
}
