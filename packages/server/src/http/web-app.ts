import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../logger.js';

/**
 * Client-side routes of the web app; each answers with `index.html`. Single-segment
 * ones are in `RESERVED_PATHS`, so no link alias can shadow them.
 */
export const WEB_APP_ROUTES = [
  '/',
  '/login',
  '/signup',
  '/links',
  '/links/*',
  '/chat',
  '/chat/*',
  '/settings',
  '/settings/*',
] as const;

/** Serves the built web app: hashed assets with long caching, pages with revalidation. */
export async function installWebApp(
  app: FastifyInstance,
  distDir: string,
  logger: Logger,
): Promise<void> {
  const index = path.join(distDir, 'index.html');
  if (!fs.existsSync(index)) {
    logger.warn({ distDir }, 'web app not built (run `npm run build`): serving the API only');
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><title>Switchboard</title><p>The web app is not built. Run <code>npm run build</code>.</p>',
        ),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: distDir,
    serve: false,
  });
  const assets = path.join(distDir, 'assets');
  if (fs.existsSync(assets)) {
    await app.register(fastifyStatic, {
      root: assets,
      prefix: '/assets/',
      decorateReply: false,
      immutable: true,
      maxAge: '365d',
      schemaHide: true,
    });
  }
  // Files at the root of dist (favicon, manifest, robots.txt) get a route each; their
  // names contain a dot, which neither codes nor aliases can.
  for (const entry of fs.readdirSync(distDir, { withFileTypes: true })) {
    if (!entry.isFile() || entry.name === 'index.html') continue;
    app.get(`/${entry.name}`, { schema: { hide: true } }, (_request, reply) =>
      reply
        .header('cache-control', 'public, max-age=3600')
        .sendFile(entry.name, { cacheControl: false }),
    );
  }
  for (const route of WEB_APP_ROUTES) {
    app.get(route, { schema: { hide: true } }, (_request, reply) =>
      // `no-cache`: always revalidate, so a new release's asset names are picked up.
      reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false }),
    );
  }
}
