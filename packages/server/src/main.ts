#!/usr/bin/env node
import { createApp } from './app.js';
import { ConfigError, parseConfig } from './config.js';
import { buildDeps } from './deps.js';
import { createLogger } from './logger.js';

/** The composition root: configuration, dependencies, app, listen, and a clean stop. */
async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.env.LOG_LEVEL);
  const deps = await buildDeps(config, logger);
  const app = await createApp(deps);
  await app.http.listen({ port: config.port, host: config.host });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight work');
    const timer = setTimeout(() => {
      logger.error('shutdown took too long: exiting');
      process.exit(1);
    }, config.env.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    app
      .close()
      .then(() => deps.close())
      .then(() => {
        logger.info('shutdown complete');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Ready is said only once a signal would be handled: a supervisor may stop the
  // server the moment it reads this line.
  const address = app.http.server.address();
  logger.info(
    {
      services: config.services,
      database: config.database.kind,
      publicUrl: config.publicUrl.origin,
      port: typeof address === 'object' && address !== null ? address.port : config.port,
    },
    `Switchboard is ready on ${config.publicUrl.origin}`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Switchboard failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
